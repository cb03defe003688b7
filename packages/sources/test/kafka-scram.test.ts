import { describe, expect, it } from 'vitest';
import { MIN_ITERATIONS, saslName, ScramClient, ScramError, scramNonce } from '../src/kafka-scram.js';

/*
 * The client's messages held against the examples of RFC 7677 section 3
 * (SCRAM-SHA-256) and RFC 5802 section 5 (SCRAM-SHA-1): user "user",
 * password "pencil", the client nonce given.
 */

describe('ScramClient against the RFC examples', () => {
  it('SCRAM-SHA-256, RFC 7677 section 3', async () => {
    const client = new ScramClient('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(client.firstMessage()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    expect(await client.finalMessage(serverFirst)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() => client.checkServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).not.toThrow();
  });

  it('SCRAM-SHA-1, RFC 5802 section 5', async () => {
    const client = new ScramClient('sha1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    expect(client.firstMessage()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';
    expect(await client.finalMessage(serverFirst)).toBe(
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    expect(() => client.checkServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).not.toThrow();
  });
});

describe('ScramClient refuses a server that does not play by the rules', () => {
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const client = (): ScramClient => new ScramClient('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');

  async function refused(step: (c: ScramClient) => Promise<unknown>): Promise<string> {
    try {
      await step(client());
    } catch (error) {
      expect(error).toBeInstanceOf(ScramError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  }

  it('a wrong or forged server signature, or the error it sends instead', async () => {
    expect(
      await refused(async (c) =>
        c.finalMessage(serverFirst).then(() => c.checkServerFinal('v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')),
      ),
    ).toBe("the server's signature is wrong: it does not know the password");
    expect(await refused(async (c) => c.finalMessage(serverFirst).then(() => c.checkServerFinal('v=')))).toContain(
      'signature is wrong',
    );
    expect(
      await refused(async (c) => c.finalMessage(serverFirst).then(() => c.checkServerFinal('e=invalid-proof'))),
    ).toBe('the server says: invalid-proof');
    expect(await refused(async (c) => c.checkServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toContain(
      'before client-final-message',
    );
  });

  it(
    "a nonce that does not extend the client's, too few iterations, a mandatory extension, missing " +
      'or malformed fields',
    async () => {
      expect(await refused((c) => c.finalMessage('r=someoneElse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))).toBe(
        "the server's nonce does not extend the client's",
      );
      expect(await refused((c) => c.finalMessage('r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))).toBe(
        "the server's nonce does not extend the client's",
      );
      expect(await refused((c) => c.finalMessage('r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1'))).toBe(
        `the server asks for 1 iterations, fewer than ${MIN_ITERATIONS}`,
      );
      expect(
        await refused((c) => c.finalMessage('r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=many')),
      ).toContain('iterations');
      expect(await refused((c) => c.finalMessage('m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22Z,i=4096'))).toContain(
        'extension',
      );
      expect(await refused((c) => c.finalMessage('r=rOprNGfwEbeRWgbNEkqOx,i=4096'))).toContain('without r, s or i');
      expect(await refused((c) => c.finalMessage('garbage'))).toContain('malformed server-first-message');
    },
  );
});

describe('SCRAM names and nonces', () => {
  it("escapes ',' and '=' in user names (RFC 5802 section 5.1)", () => {
    expect(saslName('a=b,c')).toBe('a=3Db=2Cc');
    expect(new ScramClient('sha512', 'x,y', 'p', 'N').firstMessage()).toBe('n,,n=x=2Cy,r=N');
  });

  it('makes printable nonces without commas, different each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => scramNonce()));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/=]{32}$/);
  });
});
