import { describe, expect, it } from 'vitest';
import { benchBroker } from '../src/broker.js';

describe('benchBroker', () => {
  it('takes the broker $UNIQSTREAM_KAFKA_BOOTSTRAP names as it is, starting none', async () => {
    const lines: string[] = [];
    const broker = await benchBroker((line) => lines.push(line), { UNIQSTREAM_KAFKA_BOOTSTRAP: ' 127.0.0.1:49092 ' });
    expect(broker).toEqual({
      bootstrap: '127.0.0.1:49092',
      description: 'the broker at 127.0.0.1:49092 ($UNIQSTREAM_KAFKA_BOOTSTRAP)',
    });
    expect(lines).toEqual([]);
  });
});
