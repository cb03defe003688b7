/** The reference decoder: `JSON.parse` of the frame's UTF-8 text. */

import { DEFAULT_MAX_FRAME_BYTES } from './contract.js';
import type { DecodedFrame, FrameDecoder, MalformedKind } from './contract.js';
import { frameText, readFields } from './fields.js';
import { precheck } from './precheck.js';
import { JsScanDecoder } from './scanner.js';

export class JsonDecoder implements FrameDecoder {
  readonly name = 'json';
  private readonly maxFrameBytes: number;
  /** Tells a cut-off frame from a broken one after JSON.parse refused it. */
  private readonly structure: JsScanDecoder;
  private readonly scratch = { uidHi: 0, uidLo: 0, ts: 0 };

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
    this.structure = new JsScanDecoder(maxFrameBytes);
  }

  decode(frame: Uint8Array, out: DecodedFrame, knownUtf8 = false): MalformedKind | null {
    const open = precheck(frame, this.maxFrameBytes, knownUtf8);
    if (typeof open !== 'number') return open;
    let root: unknown;
    try {
      root = JSON.parse(frameText(frame));
    } catch {
      // Only a syntax error gets here: maxFrameBytes keeps the text within V8's string limit.
      return this.syntaxKind(frame);
    }
    // The precheck saw `{` first and JSON.parse took the whole text, so root
    // is an object.
    return readFields(root as object, out);
  }

  /**
   * JSON.parse's messages differ between V8 versions and do not say "ends too
   * early" consistently (`{"a":1` is "Expected ',' or '}'"), so the kind of a
   * syntax error comes from the scanner, which knows when the root object is
   * still open at the end of the frame.
   */
  private syntaxKind(frame: Uint8Array): MalformedKind {
    return this.structure.decode(frame, this.scratch) === 'truncated' ? 'truncated' : 'invalid-json';
  }
}
