import { readFileSync } from 'node:fs';

/*
 * The test-only TLS certificates of @uniqstream/kafka's tests
 * (packages/kafka/test/fixtures/tls, see its README): one set for the
 * repository, read from there.
 */

const FIXTURES = new URL('../../../kafka/test/fixtures/tls/', import.meta.url);

/** A file of the fixtures, as text. */
export function fixture(
  name: 'ca.pem' | 'broker.pem' | 'broker-key.pem' | 'client.pem' | 'client-key.pem' | 'other-ca.pem',
): string {
  return readFileSync(new URL(name, FIXTURES), 'latin1');
}

/** Server options of a fake broker with the test certificate (for localhost and 127.0.0.1, from ca.pem). */
export function brokerTls(): { readonly key: string; readonly cert: string } {
  return { key: fixture('broker-key.pem'), cert: fixture('broker.pem') };
}
