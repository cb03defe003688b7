import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { oneLine } from '@uniqstream/app-config';
import { formatTruthRecord, type GroundTruth } from '@uniqstream/generator';
import { SimError } from './errors.js';

/** The ground truth as JSONL: one line per finalized window, then one summary line. */
export class TruthFile {
  private failure: Error | null = null;

  private constructor(
    private readonly path: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (error) => {
      this.failure = error;
    });
  }

  static async open(path: string): Promise<TruthFile> {
    const stream = createWriteStream(path);
    try {
      await once(stream, 'open');
    } catch (error) {
      throw new SimError('OUTPUT_FAILED', `cannot create truth file ${path}: ${oneLine(error)}`, { cause: error });
    }
    return new TruthFile(path, stream);
  }

  /** Writes the windows finalized so far. */
  async drain(truth: GroundTruth): Promise<void> {
    let text = '';
    for (const window of truth.drain()) text += formatTruthRecord(window);
    if (text !== '' && !this.stream.write(text)) await once(this.stream, 'drain');
  }

  /** Writes the remaining windows and the summary, and closes the file. */
  async close(truth: GroundTruth): Promise<void> {
    await this.drain(truth);
    this.stream.end(formatTruthRecord(truth.summary()));
    await once(this.stream, 'close').catch(() => undefined);
    if (this.failure !== null)
      throw new SimError('OUTPUT_FAILED', `cannot write truth file ${this.path}: ${oneLine(this.failure)}`);
  }
}
