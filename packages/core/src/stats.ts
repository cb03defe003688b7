/** Running totals; frames = counted + lateDropped + corruptTs + malformed + held. */
export class EngineStats {
  /** Valid frames counted in their finest window (on time or as a late update). */
  counted = 0;
  /** Frames that arrived after their finest window's first result (updated or dropped). */
  late = 0;
  /** Frames too late even for the allowed lateness of their finest window. */
  lateDropped = 0;
  /** Frames whose ts was far ahead and never confirmed. */
  corruptTs = 0;
  resultsEmitted = 0;
  readonly malformed = new Map<string, number>();

  get malformedTotal(): number {
    let total = 0;
    for (const n of this.malformed.values()) total += n;
    return total;
  }

  addMalformed(kind: string): void {
    this.malformed.set(kind, (this.malformed.get(kind) ?? 0) + 1);
  }
}
