import { describe, expect, it } from 'vitest';
import { topicOffsets } from '../src/topic-reader.js';

/** What a broker answers for a topic another instance has just created: its leader is not elected yet. */
function notLeader(): Error {
  // The fields kafkajs's KafkaJSProtocolError carries for this answer.
  return Object.assign(new Error('This server is not the leader for that topic-partition'), {
    name: 'KafkaJSProtocolError',
    type: 'NOT_LEADER_OR_FOLLOWER',
    code: 6,
    retriable: true,
  });
}

describe('topicOffsets', () => {
  it('asks again while the broker answers that it is not the leader', async () => {
    let calls = 0;
    const admin = {
      fetchTopicOffsets: async () => {
        calls++;
        if (calls < 3) throw notLeader();
        return [{ partition: 0, offset: '7', low: '2', high: '7' }];
      },
    };
    await expect(topicOffsets(admin, 'group.checkpoints', 10_000)).resolves.toEqual([
      { partition: 0, offset: '7', low: '2', high: '7' },
    ]);
    expect(calls).toBe(3);
  });

  it('gives up after its time with one line naming the topic', async () => {
    const admin = {
      fetchTopicOffsets: async (): Promise<never> => {
        throw notLeader();
      },
    };
    await expect(topicOffsets(admin, 'group.checkpoints', 300)).rejects.toThrow(
      /^cannot read the offsets of group\.checkpoints: .*not the leader/,
    );
  });
});
