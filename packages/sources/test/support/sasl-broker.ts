import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Encoder } from './kafkajs-protocol.js';

/*
 * The broker's side of a SASL login, as Kafka answers SaslHandshake v1
 * and SaslAuthenticate v1 on a SASL port, for the tests' stand-in brokers.
 * Answers are written with kafkajs's Encoder; the SCRAM server follows
 * RFC 5802 section 3 on its own (the client's side is held against the
 * RFCs' examples in kafka-scram.test.ts).
 */

export const SASL_HANDSHAKE = 17;
export const SASL_AUTHENTICATE = 36;
const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;
const SASL_AUTHENTICATION_FAILED = 58;
const HASHES: Record<string, { readonly name: 'sha256' | 'sha512'; readonly bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};
/** Kafka's own words for a refused login. */
export function refusal(mechanism: string): string {
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
}

export interface SaslBrokerSettings {
  /** The mechanisms the port takes; empty: a port without SASL (SaslHandshake is ILLEGAL_SASL_STATE). */
  readonly mechanisms: readonly string[];
  /** User -> password. */
  readonly users: Readonly<Record<string, string>>;
  /** session_lifetime_ms of a login (0: unlimited). */
  readonly lifetimeMs?: number;
  /** Sign the server-final message with a wrong key (a server that does not know the password). */
  readonly wrongServerSignature?: boolean;
}

/** A request's api key, correlation id and body, from its bytes (size prefix, header v1). */
export function parseRequest(bytes: Buffer): {
  readonly apiKey: number;
  readonly correlationId: number;
  readonly body: Buffer;
} {
  const clientIdLength = bytes.readInt16BE(12);
  return {
    apiKey: bytes.readInt16BE(4),
    correlationId: bytes.readInt32BE(8),
    body: bytes.subarray(14 + Math.max(0, clientIdLength)),
  };
}

function handshakeAnswer(errorCode: number, mechanisms: readonly string[]): Buffer {
  const out = new Encoder().writeInt16(errorCode).writeInt32(mechanisms.length);
  for (const m of mechanisms) out.writeString(m);
  return Buffer.from(out.buffer);
}

function authenticateAnswer(
  errorCode: number,
  errorMessage: string | null,
  authBytes: Buffer,
  lifetimeMs: number,
): Buffer {
  return Buffer.from(
    new Encoder().writeInt16(errorCode).writeString(errorMessage).writeBytes(authBytes).writeInt64(lifetimeMs).buffer,
  );
}

/** One connection's login state. */
export class SaslBrokerSession {
  mechanism: string | undefined;
  /** Logins that passed on this connection. */
  logins = 0;
  private scram:
    | { readonly user: string; readonly clientFirstBare: string; readonly serverFirst: string; readonly salted: Buffer }
    | undefined;

  constructor(private readonly settings: SaslBrokerSettings) {}

  /** The answer body (after the correlation id) to a SASL request, or undefined for another api key. */
  answer(apiKey: number, body: Buffer): Buffer | undefined {
    if (apiKey === SASL_HANDSHAKE) return this.handshake(body);
    if (apiKey === SASL_AUTHENTICATE) return this.authenticate(body.subarray(4, 4 + body.readInt32BE(0)));
    return undefined;
  }

  private handshake(body: Buffer): Buffer {
    const mechanism = body.toString('utf8', 2, 2 + body.readInt16BE(0));
    if (this.settings.mechanisms.length === 0) return handshakeAnswer(ILLEGAL_SASL_STATE, []);
    if (!this.settings.mechanisms.includes(mechanism))
      return handshakeAnswer(UNSUPPORTED_SASL_MECHANISM, this.settings.mechanisms);
    this.mechanism = mechanism;
    this.scram = undefined;
    return handshakeAnswer(0, this.settings.mechanisms);
  }

  private authenticate(message: Buffer): Buffer {
    const mechanism = this.mechanism ?? '';
    const lifetime = this.settings.lifetimeMs ?? 0;
    const refused = authenticateAnswer(SASL_AUTHENTICATION_FAILED, refusal(mechanism), Buffer.alloc(0), 0);
    if (mechanism === 'PLAIN') {
      const [, user, password] = message.toString('utf8').split('\u0000');
      if (user === undefined || this.settings.users[user] !== password) return refused;
      this.logins++;
      return authenticateAnswer(0, null, Buffer.alloc(0), lifetime);
    }
    const hash = HASHES[mechanism]!;
    const text = message.toString('utf8');
    if (this.scram === undefined) {
      // client-first: n,,n=user,r=nonce
      const bare = text.slice(3);
      const user = /^n=([^,]*),r=/.exec(bare)?.[1] ?? '';
      const nonce = bare.slice(bare.indexOf(',r=') + 3) + randomBytes(8).toString('hex');
      const salt = randomBytes(16);
      const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=4096`;
      // An unknown user gets a salt too, and fails at the proof (Kafka does not tell which was wrong).
      this.scram = {
        user,
        clientFirstBare: bare,
        serverFirst,
        salted: pbkdf2Sync(this.settings.users[user] ?? randomBytes(8), salt, 4096, hash.bytes, hash.name),
      };
      return authenticateAnswer(0, null, Buffer.from(serverFirst), 0);
    }
    // client-final: c=biws,r=nonce,p=proof
    const { user, clientFirstBare, serverFirst, salted } = this.scram;
    this.scram = undefined;
    const proofAt = text.lastIndexOf(',p=');
    const withoutProof = text.slice(0, proofAt);
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const storedKey = createHash(hash.name)
      .update(createHmac(hash.name, salted).update('Client Key').digest())
      .digest();
    const clientSignature = createHmac(hash.name, storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ (clientSignature[i] ?? 0)));
    const known = this.settings.users[user] !== undefined;
    if (
      !known ||
      clientKey.length !== storedKey.length ||
      !timingSafeEqual(createHash(hash.name).update(clientKey).digest(), storedKey)
    )
      return refused;
    const serverKey = createHmac(
      hash.name,
      this.settings.wrongServerSignature === true ? Buffer.from('not the key') : salted,
    )
      .update('Server Key')
      .digest();
    this.logins++;
    return authenticateAnswer(
      0,
      null,
      Buffer.from(`v=${createHmac(hash.name, serverKey).update(authMessage).digest('base64')}`),
      lifetime,
    );
  }
}
