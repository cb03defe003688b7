import { KafkaSecurityError, securityLines, type KafkaSasl } from '@uniqstream/kafka';
import { AnswerReader, INT16, INT32, startRequest } from './kafka-protocol.js';
import { ScramClient, ScramError, type ScramHash } from './kafka-scram.js';

/*
 * The SASL login of a fetch connection, before its first Fetch and again
 * before its session ends: SaslHandshake v1 names the mechanism, then the
 * mechanism's messages travel in SaslAuthenticate v1 requests, whose last
 * answer says how long the session lasts (KIP-152, KIP-368).
 * https://kafka.apache.org/protocol#The_Messages_SaslHandshake
 * https://kafka.apache.org/protocol#The_Messages_SaslAuthenticate
 */

export const SASL_HANDSHAKE_API_KEY = 17;
/** v1: the mechanism's messages go in SaslAuthenticate requests (v0 sent them bare). */
export const SASL_HANDSHAKE_API_VERSION = 1;
export const SASL_AUTHENTICATE_API_KEY = 36;
/** v1 adds session_lifetime_ms to the answer; the newest version that is not flexible (v2 is). */
export const SASL_AUTHENTICATE_API_VERSION = 1;

/** Kafka error codes of the login (https://kafka.apache.org/protocol#protocol_error_codes). */
const NONE = 0;
const UNSUPPORTED_SASL_MECHANISM = 33;
/** A SaslHandshake where none is expected: on a port without SASL. */
const ILLEGAL_SASL_STATE = 34;
const SASL_AUTHENTICATION_FAILED = 58;

/** Mechanisms by their Kafka name, and the hash of the SCRAM ones. */
const KAFKA_MECHANISM: Record<KafkaSasl['mechanism'], string> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};
const SCRAM_HASH: Partial<Record<KafkaSasl['mechanism'], ScramHash>> = {
  'scram-sha-256': 'sha256',
  'scram-sha-512': 'sha512',
};
/** PLAIN's separator (RFC 4616): authorization identity (empty: the user's own), user, password. */
const NUL = '\u0000';

export interface SaslHandshakeAnswer {
  readonly errorCode: number;
  /** The mechanisms the broker takes on this port, as it names them. */
  readonly mechanisms: readonly string[];
}

export interface SaslAuthenticateAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** The mechanism's next message from the server (a view of the answer). */
  readonly authBytes: Buffer;
  /** How long the session lasts from the login (0: for as long as the connection). */
  readonly sessionLifetimeMs: number;
}

/** A whole SaslHandshake v1 request: mechanism string. */
export function encodeSaslHandshake(correlationId: number, clientId: string, mechanism: string): Buffer {
  const name = Buffer.from(mechanism, 'utf8');
  const { out, at } = startRequest(
    SASL_HANDSHAKE_API_KEY,
    SASL_HANDSHAKE_API_VERSION,
    correlationId,
    clientId,
    INT16 + name.length,
  );
  name.copy(out, out.writeInt16BE(name.length, at));
  return out;
}

/** A whole SaslAuthenticate v1 request: auth_bytes bytes. */
export function encodeSaslAuthenticate(correlationId: number, clientId: string, authBytes: Uint8Array): Buffer {
  const { out, at } = startRequest(
    SASL_AUTHENTICATE_API_KEY,
    SASL_AUTHENTICATE_API_VERSION,
    correlationId,
    clientId,
    INT32 + authBytes.length,
  );
  out.set(authBytes, out.writeInt32BE(authBytes.length, at));
  return out;
}

/** A SaslHandshake v0/v1 answer body (after the correlation id): error_code int16, [mechanism string]. */
export function decodeSaslHandshake(body: Buffer): SaslHandshakeAnswer {
  const reader = new AnswerReader(body, 'SaslHandshake answer');
  return { errorCode: reader.int16(), mechanisms: reader.array((r) => r.string()) };
}

/** A SaslAuthenticate v1 answer body: error_code int16, error_message nullable string, auth_bytes bytes,
 * session_lifetime_ms int64. */
export function decodeSaslAuthenticate(body: Buffer): SaslAuthenticateAnswer {
  const reader = new AnswerReader(body, 'SaslAuthenticate answer');
  const errorCode = reader.int16();
  const errorMessage = reader.nullableString();
  const authBytes = reader.nullableBytes() ?? Buffer.alloc(0);
  return { errorCode, errorMessage, authBytes, sessionLifetimeMs: reader.int64() };
}

/** Sends a whole request with this correlation id and resolves with its answer's body after the correlation id. */
export type Exchange = (request: Buffer, correlationId: number) => Promise<Buffer>;

/** What the broker said of the session once the login passed. */
export interface SaslSession {
  /** 0: it lasts as long as the connection. */
  readonly lifetimeMs: number;
}

/**
 * Logs in on a connection (`where`: its broker's `host:port`) through
 * `exchange`, `nextId` giving correlation ids. Throws a KafkaSecurityError
 * AUTHENTICATION_FAILED or UNSUPPORTED_SASL_MECHANISM with one line (never
 * the password), a MalformedAnswer for an answer it cannot read, an Error
 * for any other error code.
 */
export async function saslLogin(
  exchange: Exchange,
  nextId: () => number,
  clientId: string,
  sasl: KafkaSasl,
  where: string,
): Promise<SaslSession> {
  const mechanism = KAFKA_MECHANISM[sasl.mechanism];
  const login = `${mechanism} as ${sasl.username}`;
  let id = nextId();
  const handshake = decodeSaslHandshake(await exchange(encodeSaslHandshake(id, clientId, mechanism), id));
  if (handshake.errorCode === UNSUPPORTED_SASL_MECHANISM) {
    throw new KafkaSecurityError(
      'UNSUPPORTED_SASL_MECHANISM',
      securityLines.unsupportedMechanism(where, mechanism, handshake.mechanisms),
    );
  }
  if (handshake.errorCode === ILLEGAL_SASL_STATE)
    throw new KafkaSecurityError(
      'UNSUPPORTED_SASL_MECHANISM',
      securityLines.unsupportedMechanism(where, mechanism, []),
    );
  if (handshake.errorCode !== NONE)
    throw new Error(`SaslHandshake with ${where} failed with Kafka error ${handshake.errorCode}`);

  const authenticate = async (message: Buffer): Promise<SaslAuthenticateAnswer> => {
    id = nextId();
    const answer = decodeSaslAuthenticate(await exchange(encodeSaslAuthenticate(id, clientId, message), id));
    if (answer.errorCode === SASL_AUTHENTICATION_FAILED)
      throw new KafkaSecurityError(
        'AUTHENTICATION_FAILED',
        securityLines.authenticationFailed(where, login, answer.errorMessage ?? ''),
      );
    if (answer.errorCode !== NONE) {
      const detail = answer.errorMessage === null ? '' : `: ${answer.errorMessage}`;
      throw new Error(`SASL ${login} with ${where} failed with Kafka error ${answer.errorCode}${detail}`);
    }
    return answer;
  };

  const hash = SCRAM_HASH[sasl.mechanism];
  if (hash === undefined) {
    const answer = await authenticate(Buffer.from(`${NUL}${sasl.username}${NUL}${sasl.password}`, 'utf8'));
    return { lifetimeMs: answer.sessionLifetimeMs };
  }
  const scram = new ScramClient(hash, sasl.username, sasl.password);
  try {
    const serverFirst = await authenticate(Buffer.from(scram.firstMessage(), 'utf8'));
    const serverFinal = await authenticate(
      Buffer.from(await scram.finalMessage(serverFirst.authBytes.toString('utf8')), 'utf8'),
    );
    scram.checkServerFinal(serverFinal.authBytes.toString('utf8'));
    return { lifetimeMs: serverFinal.sessionLifetimeMs };
  } catch (error) {
    if (error instanceof ScramError)
      throw new KafkaSecurityError(
        'AUTHENTICATION_FAILED',
        securityLines.authenticationFailed(where, login, error.message),
        { cause: error },
      );
    throw error;
  }
}
