import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ensureBroker, stopBroker } from './broker.js';
import { LOOPBACK } from './ports.js';
import { BOOTSTRAP_ENV, TestKafka } from './test-kafka.js';

/**
 * A vitest globalSetup: ensures a broker (see ensureBroker; the version and
 * port come from $UNIQSTREAM_KAFKA_VERSION and $UNIQSTREAM_KAFKA_PORT), puts its address
 * in $UNIQSTREAM_KAFKA_BOOTSTRAP for the workers, and returns a teardown that
 * leaves it running for the next package's tests. integrationTestConfig()
 * names it for you.
 */
export async function setupForTests(): Promise<() => Promise<void>> {
  // Takes no options on purpose: vitest passes its project object to a globalSetup.
  const info = await ensureBroker();
  process.env[BOOTSTRAP_ENV] = info.bootstrap;
  return async () => {};
}

export interface IntegrationTestOptions {
  readonly testTimeout: number;
  readonly hookTimeout: number;
  /** Other globalSetup files of the package (relative to it), run before the broker's. */
  readonly globalSetup?: readonly string[];
}

/** The `test` settings of a vitest.integration.config.ts (structurally vitest's; this package does not load vitest). */
export interface IntegrationTestConfig {
  readonly include: string[];
  readonly globalSetup: string[];
  readonly testTimeout: number;
  readonly hookTimeout: number;
  readonly fileParallelism: boolean;
}

/**
 * The `test` block of a package's vitest.integration.config.ts: the suites
 * under test/integration/, setupForTests as globalSetup (the shared broker
 * on 127.0.0.1:9092 is started when none runs, and left running), and one
 * file at a time, since they share the broker and the machine.
 *
 *   export default defineConfig({ test: integrationTestConfig({ testTimeout: 120_000, hookTimeout: 180_000 }) });
 */
export function integrationTestConfig(options: IntegrationTestOptions): IntegrationTestConfig {
  return {
    include: ['test/integration/**/*.test.ts'],
    globalSetup: [...(options.globalSetup ?? []), globalSetupFile()],
    testTimeout: options.testTimeout,
    hookTimeout: options.hookTimeout,
    fileParallelism: false,
  };
}

/** The module whose default export is setupForTests, beside this one (dist/, or src/ when run from the sources). */
function globalSetupFile(): string {
  const from = import.meta.url;
  return fileURLToPath(new URL(from.endsWith('.ts') ? './global-setup.ts' : './global-setup.js', from));
}

/** A loopback port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A broker of a suite's own on `port`, for a suite that restarts or stops
 * it: doing that to the shared one on 9092 would break the other packages'
 * suites running meanwhile. Quiet: the broker's progress lines are dropped.
 *
 *   const broker = new SuiteBroker(19292);
 *   beforeAll(() => broker.start());
 *   afterAll(() => broker.stop());
 */
export class SuiteBroker {
  private client: TestKafka | undefined;

  constructor(readonly port: number) {}

  /** A TestKafka on this broker; after start(). */
  get kafka(): TestKafka {
    if (this.client === undefined) throw new Error(`the broker on port ${this.port} is not started: call start() first (in beforeAll)`);
    return this.client;
  }

  get bootstrap(): string {
    return this.kafka.bootstrap;
  }

  /** Starts the broker, or takes the one that runs on the port. */
  async start(): Promise<void> {
    const info = await ensureBroker(this.quiet());
    this.client = new TestKafka({ bootstrap: info.bootstrap });
  }

  /** Closes the client (deleting its topics) and stops the broker. */
  async stop(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
    await stopBroker(this.quiet());
  }

  private quiet(): { port: number; log: (line: string) => void } {
    return { port: this.port, log: () => undefined };
  }
}
