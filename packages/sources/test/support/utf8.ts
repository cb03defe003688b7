/** An independent UTF-8 check for tests: WHATWG's strict TextDecoder, not node:buffer's isUtf8. */
const strict = new TextDecoder('utf-8', { fatal: true });

export function validUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
