import { EXIT_INTERRUPTED } from '@uniqstream/app-config';
import { run } from './cli.js';
import { processIo } from './io.js';

/** Grace period after the run for handles (sockets, timers) to close before exiting anyway. */
const EXIT_GRACE_MS = 3000;

// `uniqstream-sim --help | head -1`: a reader that has read enough may go before everything is
// written. That ends the output, not with a stack trace (generated frames handle it in output.ts).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const controller = new AbortController();
process.once('SIGINT', () => {
  // First Ctrl-C: stop and flush; a second one: leave at once.
  controller.abort();
  process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED));
});

try {
  process.exitCode = await run(process.argv.slice(2), processIo(controller.signal));
} catch (error) {
  // A bug, not a user error: still one line, with the stack only on request.
  process.stderr.write(`uniqstream-sim: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.UNIQSTREAM_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  process.exitCode = 1;
}
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
