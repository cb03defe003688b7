/**
 * Where frames come from or results go: what sources and sinks open. The
 * text form (`-`, `file:PATH`, `kafka://host:port/topic`) is the apps'
 * business: @uniqstream/app-config's parseEndpoint reads it.
 */
export type Endpoint =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'stdin' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'kafka'; readonly brokers: readonly string[]; readonly topic: string };
