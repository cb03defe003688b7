import { GRANULARITIES, type WindowResult } from '@uniqstream/core';

const KNOWN_STRINGS: ReadonlySet<string> = new Set<string>([...GRANULARITIES, 'exact', 'hll']);

/**
 * One result as a JSON object, keys in a fixed order, `error` only for
 * method 'hll'. Same text as JSON.stringify of such an object, built by hand
 * because every field is known: no key walk, no escaping of known names.
 */
export function formatResultJson(result: WindowResult): string {
  let text =
    '{"window":' +
    knownString(result.window) +
    ',"start":' +
    jsonNumber(result.start) +
    ',"end":' +
    jsonNumber(result.end) +
    ',"users":' +
    jsonNumber(result.users) +
    ',"frames":' +
    jsonNumber(result.frames) +
    ',"revision":' +
    jsonNumber(result.revision) +
    ',"final":' +
    (result.final ? 'true' : 'false') +
    ',"method":' +
    knownString(result.method);
  if (result.method === 'hll' && result.error !== undefined) text += `,"error":${jsonNumber(result.error)}`;
  return `${text}}`;
}

/** Results as JSON lines, each ending in `\n`. */
export function formatResultLines(results: readonly WindowResult[]): string {
  let text = '';
  for (const result of results) text += `${formatResultJson(result)}\n`;
  return text;
}

/** JSON.stringify's number text: `${n}` for finite numbers, null otherwise. */
export function jsonNumber(value: number): string {
  return Number.isFinite(value) ? `${value}` : 'null';
}

function knownString(value: string): string {
  // Window and method names need no escaping; anything else a caller forced
  // past the types still comes out as valid JSON.
  return KNOWN_STRINGS.has(value) ? `"${value}"` : JSON.stringify(value);
}
