import { describe, expect, it } from 'vitest';
import { referenceFrame } from '@uniqstream/reference';
import { closingFrames, SERVICE_VARIANTS, targetOf, variantsFor } from '../../src/suites/latency.js';
import { WatermarkHistory } from '../../src/watermark-history.js';

describe('closingFrames', () => {
  it('moves every partition to the level one second of ts at a time, with frames that count', () => {
    const lastTs = 1_000;
    const level = 1_620;
    const frames = closingFrames(lastTs, 3, level);
    for (let partition = 0; partition < 3; partition++) {
      const history = new WatermarkHistory(5);
      history.observe(lastTs, 0);
      let previous = lastTs;
      let at = 1;
      for (const message of frames.filter((m) => m.partition === partition)) {
        const frame = referenceFrame(Buffer.from(message.value as string));
        expect(frame).not.toBeNull();
        // A step of one second is never a jump ahead that a counter would hold as a corrupt ts.
        expect(frame!.ts).toBe(previous + 1);
        previous = frame!.ts;
        history.observe(frame!.ts, at++);
      }
      expect(history.reachedAt(level)).toBeDefined();
      expect(history.reachedAt(level + 1)).toBeUndefined();
    }
  });
});

describe('variantsFor', () => {
  it('runs the CLI and every service variant whose flags the built service lists, and says which it left out', () => {
    const help = '  --checkpoint-interval <seconds>  seconds between checkpoints\n';
    const { variants, notes } = variantsFor(help);
    expect(variants[0]).toMatchObject({ kind: 'cli', guarantee: 'at-least-once' });
    const services = variants.filter((v) => v.kind === 'service');
    expect(services.map((v) => v.label)).toEqual(
      SERVICE_VARIANTS.filter((v) => !v.args.includes('--guarantee')).map((v) => v.label),
    );
    expect(notes.some((n) => n.includes('--guarantee'))).toBe(
      SERVICE_VARIANTS.some((v) => v.args.includes('--guarantee')),
    );
  });

  it("reads the guarantee from a variant's flags once the service has them", () => {
    const { variants } = variantsFor('--checkpoint-interval --guarantee <mode>');
    const exactlyOnce = variants.filter((v) => v.guarantee === 'exactly-once');
    expect(exactlyOnce.map((v) => v.args)).toEqual(
      SERVICE_VARIANTS.filter((v) => v.args.includes('exactly-once')).map((v) => v.args),
    );
    expect(new Set(variants.map((v) => v.id)).size).toBe(variants.length);
  });
});

describe('targetOf', () => {
  it('holds at-least-once first results to 250 ms, and exactly-once ones to their commit interval more', () => {
    expect(targetOf([])).toBe(250);
    expect(targetOf(['--checkpoint-interval', '0.2'])).toBe(250);
    expect(targetOf(['--guarantee', 'exactly-once'])).toBe(1250);
    expect(targetOf(['--guarantee', 'exactly-once', '--checkpoint-interval', '0.5'])).toBe(750);
  });
});
