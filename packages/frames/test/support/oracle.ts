/**
 * The reference the decoders are held against: JSON.parse and the rules of
 * the brief, written out plainly and independently of the package's code.
 */

/** What a frame should decode to. `syntax` stands for "JSON.parse refused it". */
export type Expected =
  | { readonly valid: true; readonly uid: string; readonly ts: number }
  | { readonly valid: false; readonly kind: string };

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const TWO_TO_32 = 4294967296;

/** The ts the rules give a parsed root `ts` value, or undefined when they refuse it. */
export function referenceTs(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && JSON_NUMBER.test(value)) n = Number(value);
  else return undefined;
  if (!Number.isFinite(n) || n < 0 || n >= TWO_TO_32) return undefined;
  const whole = Math.floor(n);
  return whole === 0 ? 0 : whole;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function referenceDecode(frame: Uint8Array, maxFrameBytes = 1024 * 1024): Expected {
  if (frame.length > maxFrameBytes) return { valid: false, kind: 'too-long' };
  let text: string;
  try {
    text = fatalUtf8.decode(frame);
  } catch {
    // Whitespace-only frames are valid UTF-8, so this order is safe.
    return { valid: false, kind: 'invalid-utf8' };
  }
  const trimmed = text.replace(/^[ \t\r\n]+/, '');
  if (trimmed === '') return { valid: false, kind: 'empty' };
  if (!trimmed.startsWith('{')) return { valid: false, kind: 'not-object' };
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { valid: false, kind: 'syntax' };
  }
  if (!Object.hasOwn(root, 'uid')) return { valid: false, kind: 'missing-uid' };
  const uid = root.uid;
  if (typeof uid !== 'string' || uid === '') return { valid: false, kind: 'invalid-uid' };
  if (!Object.hasOwn(root, 'ts')) return { valid: false, kind: 'missing-ts' };
  const ts = referenceTs(root.ts);
  if (ts === undefined) return { valid: false, kind: 'invalid-ts' };
  return { valid: true, uid, ts };
}
