import fc from 'fast-check';
import { KafkaSecurityError } from '@uniqstream/kafka';
import { describe, expect, it } from 'vitest';
import { MalformedAnswer } from '../src/kafka-protocol.js';
import {
  decodeSaslAuthenticate,
  decodeSaslHandshake,
  encodeSaslAuthenticate,
  encodeSaslHandshake,
  SASL_AUTHENTICATE_API_KEY,
  SASL_AUTHENTICATE_API_VERSION,
  SASL_HANDSHAKE_API_KEY,
  SASL_HANDSHAKE_API_VERSION,
  saslLogin,
  type Exchange,
} from '../src/kafka-sasl.js';
import {
  ApiKeys,
  Encoder,
  encodeKafkajsRequest,
  saslAuthenticateProtocol,
  saslHandshakeProtocol,
} from './support/kafkajs-protocol.js';
import { parseRequest, refusal, SaslBrokerSession, type SaslBrokerSettings } from './support/sasl-broker.js';

/*
 * SaslHandshake v1 and SaslAuthenticate v1 requests byte for byte against
 * kafkajs's encoders, their answers decoded as kafkajs decodes them, and
 * the login against the stand-in broker's side of it.
 */

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

async function kafkajsHandshake(correlationId: number, clientId: string, mechanism: string): Promise<Buffer> {
  const { request } = saslHandshakeProtocol.protocol({ version: SASL_HANDSHAKE_API_VERSION })({ mechanism });
  return Buffer.from((await encodeKafkajsRequest({ correlationId, clientId, request })).buffer);
}

async function kafkajsAuthenticate(correlationId: number, clientId: string, authBytes: Buffer): Promise<Buffer> {
  // kafkajs's mechanisms hand over their message as bytes with a length prefix.
  const { request } = saslAuthenticateProtocol.protocol({ version: SASL_AUTHENTICATE_API_VERSION })({
    authBytes: Buffer.from(new Encoder().writeBytes(authBytes).buffer),
  });
  return Buffer.from((await encodeKafkajsRequest({ correlationId, clientId, request })).buffer);
}

describe('SaslHandshake and SaslAuthenticate requests', () => {
  it("use kafkajs's api keys, and versions it speaks", () => {
    expect(SASL_HANDSHAKE_API_KEY).toBe(ApiKeys.SaslHandshake);
    expect(SASL_AUTHENTICATE_API_KEY).toBe(ApiKeys.SaslAuthenticate);
    expect(saslHandshakeProtocol.versions).toContain(String(SASL_HANDSHAKE_API_VERSION));
    expect(saslAuthenticateProtocol.versions).toContain(String(SASL_AUTHENTICATE_API_VERSION));
  });

  it('are the bytes kafkajs writes for the same requests', async () => {
    expect(encodeSaslHandshake(7, 'uniqstream', 'SCRAM-SHA-512').toString('hex')).toBe(
      (await kafkajsHandshake(7, 'uniqstream', 'SCRAM-SHA-512')).toString('hex'),
    );
    const first = Buffer.from('n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL');
    expect(encodeSaslAuthenticate(8, 'uniqstream', first).toString('hex')).toBe(
      (await kafkajsAuthenticate(8, 'uniqstream', first)).toString('hex'),
    );
    expect(encodeSaslAuthenticate(9, '', Buffer.alloc(0)).toString('hex')).toBe(
      (await kafkajsAuthenticate(9, '', Buffer.alloc(0))).toString('hex'),
    );
  });

  it('match kafkajs for any correlation id, client id, mechanism and message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: INT32_MIN, max: INT32_MAX }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.uint8Array({ maxLength: 300 }),
        async (correlationId, clientId, mechanism, message) => {
          const bytes = Buffer.from(message);
          expect(encodeSaslHandshake(correlationId, clientId, mechanism).toString('hex')).toBe(
            (await kafkajsHandshake(correlationId, clientId, mechanism)).toString('hex'),
          );
          expect(encodeSaslAuthenticate(correlationId, clientId, bytes).toString('hex')).toBe(
            (await kafkajsAuthenticate(correlationId, clientId, bytes)).toString('hex'),
          );
        },
      ),
    );
  });
});

describe('SaslHandshake and SaslAuthenticate answers', () => {
  const handshakeDecoder = saslHandshakeProtocol.protocol({ version: SASL_HANDSHAKE_API_VERSION })({
    mechanism: 'PLAIN',
  }).response;
  const authenticateDecoder = saslAuthenticateProtocol.protocol({ version: SASL_AUTHENTICATE_API_VERSION })({
    authBytes: Buffer.alloc(4),
  }).response;

  it('decode as kafkajs decodes them, for any answer', async () => {
    // Error codes other than kafkajs's "version not supported" (35), which it throws on.
    const errorCode = fc.integer({ min: -1, max: 120 }).filter((code) => code !== 35);
    await fc.assert(
      fc.asyncProperty(
        errorCode,
        fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { maxLength: 5 }),
        async (code, mechanisms) => {
          const body = new Encoder().writeInt16(code).writeInt32(mechanisms.length);
          for (const m of mechanisms) body.writeString(m);
          const bytes = Buffer.from(body.buffer);
          const theirs = await handshakeDecoder.decode(bytes);
          expect(decodeSaslHandshake(bytes)).toEqual({
            errorCode: theirs.errorCode,
            mechanisms: theirs.enabledMechanisms,
          });
        },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        errorCode,
        fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null }),
        fc.uint8Array({ maxLength: 200 }),
        fc.maxSafeNat(),
        async (code, message, authBytes, lifetime) => {
          const bytes = Buffer.from(
            new Encoder().writeInt16(code).writeString(message).writeBytes(Buffer.from(authBytes)).writeInt64(lifetime)
              .buffer,
          );
          const theirs = await authenticateDecoder.decode(bytes);
          const ours = decodeSaslAuthenticate(bytes);
          expect(ours.errorCode).toBe(theirs.errorCode);
          expect(ours.errorMessage).toBe(theirs.errorMessage);
          // kafkajs keeps the auth bytes with their length prefix.
          expect(ours.authBytes.toString('hex')).toBe(theirs.authBytes.subarray(4).toString('hex'));
          expect(String(ours.sessionLifetimeMs)).toBe(theirs.sessionLifetimeMs);
        },
      ),
    );
  });

  it('throw MalformedAnswer, and nothing else, for any bytes that are not a whole answer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const decode of [decodeSaslHandshake, decodeSaslAuthenticate]) {
          try {
            decode(Buffer.from(bytes));
          } catch (error) {
            expect(error).toBeInstanceOf(MalformedAnswer);
          }
        }
      }),
    );
    const whole = Buffer.from(
      new Encoder().writeInt16(0).writeString(null).writeBytes(Buffer.from('v=x')).writeInt64(1000).buffer,
    );
    for (let cut = 0; cut < whole.length; cut++)
      expect(() => decodeSaslAuthenticate(whole.subarray(0, cut))).toThrow(MalformedAnswer);
  });
});

const PASSWORD = 'alice-pw-5d2e';
const USERS = { alice: PASSWORD };

/** An exchange with one connection of the stand-in broker, and the requests it got. */
function brokerExchange(settings: SaslBrokerSettings): {
  exchange: Exchange;
  session: SaslBrokerSession;
  apiKeys: number[];
} {
  const session = new SaslBrokerSession(settings);
  const apiKeys: number[] = [];
  const exchange: Exchange = async (request, correlationId) => {
    const { apiKey, correlationId: sent, body } = parseRequest(request);
    expect(sent).toBe(correlationId);
    apiKeys.push(apiKey);
    return session.answer(apiKey, body)!;
  };
  return { exchange, session, apiKeys };
}

async function loginError(promise: Promise<unknown>): Promise<KafkaSecurityError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaSecurityError);
    expect((error as Error).message).not.toContain(PASSWORD);
    return error as KafkaSecurityError;
  }
  throw new Error('logged in');
}

describe('saslLogin', () => {
  let ids = 0;
  const nextId = (): number => ++ids;

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`logs in with ${mechanism.toUpperCase()} and reports the session's lifetime`, async () => {
      const { exchange, session, apiKeys } = brokerExchange({
        mechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'],
        users: USERS,
        lifetimeMs: 3_600_000,
      });
      expect(
        await saslLogin(exchange, nextId, 'test', { mechanism, username: 'alice', password: PASSWORD }, 'k1:9093'),
      ).toEqual({ lifetimeMs: 3_600_000 });
      expect(session.logins).toBe(1);
      expect(apiKeys).toEqual(mechanism === 'plain' ? [17, 36] : [17, 36, 36]);
    });
  }

  it('says in one line that the broker refused the login, with its words and never the password', async () => {
    for (const mechanism of ['plain', 'scram-sha-512'] as const) {
      const { exchange } = brokerExchange({ mechanisms: ['SCRAM-SHA-512', 'PLAIN'], users: USERS });
      const error = await loginError(
        saslLogin(exchange, nextId, 'test', { mechanism, username: 'alice', password: 'wrong' }, 'k1:9093'),
      );
      expect(error.failure).toBe('AUTHENTICATION_FAILED');
      expect(error.message).toBe(
        `k1:9093 refused the SASL login (${mechanism.toUpperCase()} as alice): ${refusal(mechanism.toUpperCase())}`,
      );
    }
    const unknownUser = brokerExchange({ mechanisms: ['SCRAM-SHA-512'], users: USERS });
    expect(
      (
        await loginError(
          saslLogin(
            unknownUser.exchange,
            nextId,
            'test',
            { mechanism: 'scram-sha-512', username: 'mallory', password: PASSWORD },
            'k1:9093',
          ),
        )
      ).failure,
    ).toBe('AUTHENTICATION_FAILED');
  });

  it('refuses a broker that cannot prove it knows the password', async () => {
    const { exchange } = brokerExchange({ mechanisms: ['SCRAM-SHA-512'], users: USERS, wrongServerSignature: true });
    const error = await loginError(
      saslLogin(
        exchange,
        nextId,
        'test',
        { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD },
        'k1:9093',
      ),
    );
    expect(error.failure).toBe('AUTHENTICATION_FAILED');
    expect(error.message).toBe(
      "k1:9093 refused the SASL login (SCRAM-SHA-512 as alice): the server's signature is wrong: it " +
        'does not know the password',
    );
  });

  it(
    'names the mechanisms the broker offers when it does not take the one asked for, and a port ' + 'without SASL',
    async () => {
      const { exchange } = brokerExchange({ mechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256'], users: USERS });
      const error = await loginError(
        saslLogin(exchange, nextId, 'test', { mechanism: 'plain', username: 'alice', password: PASSWORD }, 'k1:9093'),
      );
      expect(error.failure).toBe('UNSUPPORTED_SASL_MECHANISM');
      expect(error.message).toBe('k1:9093 does not take SASL PLAIN; it offers SCRAM-SHA-512, SCRAM-SHA-256');
      const none = brokerExchange({ mechanisms: [], users: USERS });
      const noSasl = await loginError(
        saslLogin(
          none.exchange,
          nextId,
          'test',
          { mechanism: 'plain', username: 'alice', password: PASSWORD },
          'k1:9093',
        ),
      );
      expect(noSasl.failure).toBe('UNSUPPORTED_SASL_MECHANISM');
      expect(noSasl.message).toBe(
        "k1:9093 takes no SASL login on this port: turn SASL off for it, or use the broker's SASL port",
      );
    },
  );
});
