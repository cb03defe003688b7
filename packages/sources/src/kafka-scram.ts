import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * The client side of SCRAM (RFC 5802), as Kafka runs it for SCRAM-SHA-256
 * and SCRAM-SHA-512 (RFC 7677, KIP-84): no channel binding, no
 * authorization identity. Three messages: client-first, then, after the
 * server's first, client-final with the proof that the client knows the
 * password; the server's final message proves in turn that it knows it.
 *
 * Kafka compares user names and passwords as they are (its ScramFormatter
 * takes the password's UTF-8 bytes), so neither is SASLprep-normalized
 * here either.
 */

/** The hash functions SCRAM is used with: SHA-1 for RFC 5802's own example, SHA-256 and SHA-512 for Kafka. */
export type ScramHash = 'sha1' | 'sha256' | 'sha512';

/** Output bytes of each hash: PBKDF2 derives a key this long (Hi() in RFC 5802). */
const HASH_BYTES: Record<ScramHash, number> = { sha1: 20, sha256: 32, sha512: 64 };
/** Kafka refuses SCRAM credentials with fewer iterations; a server asking for fewer is not a Kafka broker to trust. */
export const MIN_ITERATIONS = 4096;
/** "n,,": no channel binding, no authorization identity (RFC 5802 section 7, gs2-header). */
const GS2_HEADER = 'n,,';
/** The gs2-header in base64, as client-final repeats it (`c=biws`). */
const CHANNEL_BINDING = Buffer.from(GS2_HEADER).toString('base64');
const CLIENT_KEY = 'Client Key';
const SERVER_KEY = 'Server Key';
/** Random bytes of the client nonce: 32 base64 characters (kafkajs sends 16 bytes, Kafka's own client 24 or more). */
const NONCE_BYTES = 24;

/** The server's messages did not hold what SCRAM says, or did not prove that it knows the password. */
export class ScramError extends Error {
  override readonly name = 'ScramError';
}

/** A fresh client nonce: printable, without ',' (base64). */
export function scramNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64');
}

/** `name` as a SCRAM saslname: '=' and ',' escaped as '=3D' and '=2C' (RFC 5802 section 5.1). */
export function saslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

/** The attributes of a server message, `a=value,b=value`; a value may hold '='. */
function attributes(message: string, what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    // An attribute is one letter, '=', and its value.
    if (part.length < 2 || part[1] !== '=') throw new ScramError(`malformed ${what}: ${JSON.stringify(message)}`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/**
 * One SCRAM exchange: firstMessage(), then finalMessage(server-first),
 * then checkServerFinal(server-final). A new one for every login (its
 * nonce is used once).
 */
export class ScramClient {
  private readonly firstBare: string;
  private expectedServerSignature: Buffer | undefined;

  constructor(
    private readonly hash: ScramHash,
    username: string,
    private readonly password: string,
    private readonly nonce: string = scramNonce(),
  ) {
    this.firstBare = `n=${saslName(username)},r=${nonce}`;
  }

  /** client-first-message. */
  firstMessage(): string {
    return GS2_HEADER + this.firstBare;
  }

  /**
   * client-final-message for `serverFirst` (r=nonce,s=salt,i=iterations):
   * with the proof, computed with PBKDF2 off the thread (libuv's pool).
   */
  async finalMessage(serverFirst: string): Promise<string> {
    const fields = attributes(serverFirst, 'server-first-message');
    if (fields.has('m')) throw new ScramError('the server asks for a SCRAM extension this client does not know');
    const nonce = fields.get('r');
    const salt = fields.get('s');
    const iterationsText = fields.get('i');
    if (nonce === undefined || salt === undefined || iterationsText === undefined)
      throw new ScramError(`server-first-message without r, s or i: ${JSON.stringify(serverFirst)}`);
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length)
      throw new ScramError("the server's nonce does not extend the client's");
    const iterations = Number(iterationsText);
    if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS)
      throw new ScramError(`the server asks for ${iterationsText} iterations, fewer than ${MIN_ITERATIONS}`);
    const saltedPassword = await new Promise<Buffer>((resolve, reject) =>
      pbkdf2(this.password, Buffer.from(salt, 'base64'), iterations, HASH_BYTES[this.hash], this.hash, (error, key) =>
        error === null ? resolve(key) : reject(error),
      ),
    );
    const finalWithoutProof = `c=${CHANNEL_BINDING},r=${nonce}`;
    const authMessage = `${this.firstBare},${serverFirst},${finalWithoutProof}`;
    const clientKey = this.hmac(saltedPassword, CLIENT_KEY);
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const clientSignature = this.hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    this.expectedServerSignature = this.hmac(this.hmac(saltedPassword, SERVER_KEY), authMessage);
    return `${finalWithoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks server-final-message: `v=` the server's signature, or `e=` the server's error (a ScramError either way
   * if wrong). */
  checkServerFinal(serverFinal: string): void {
    const expected = this.expectedServerSignature;
    if (expected === undefined) throw new ScramError('server-final-message before client-final-message');
    const fields = attributes(serverFinal, 'server-final-message');
    const error = fields.get('e');
    if (error !== undefined) throw new ScramError(`the server says: ${error}`);
    const signature = Buffer.from(fields.get('v') ?? '', 'base64');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
      throw new ScramError("the server's signature is wrong: it does not know the password");
  }

  private hmac(key: Buffer, text: string): Buffer {
    return createHmac(this.hash, key).update(text).digest();
  }
}
