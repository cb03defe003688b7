import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ensureBroker, stopBroker, type BrokerInfo } from './broker.js';
import { LOOPBACK } from './ports.js';
import { SECURE_LISTENER_ENV, type SecureListener } from './secure-listener.js';
import { BOOTSTRAP_ENV, TestKafka } from './test-kafka.js';

/**
 * A vitest globalSetup: ensures a broker (see ensureBroker; the version,
 * port and security come from $UNIQSTREAM_KAFKA_VERSION, $UNIQSTREAM_KAFKA_PORT
 * and $UNIQSTREAM_KAFKA_SECURE), puts its address in $UNIQSTREAM_KAFKA_BOOTSTRAP
 * for the workers, and its SASL_SSL listener, if it has one, in
 * $UNIQSTREAM_KAFKA_SECURE_LISTENER (see testSecureListener). Returns a
 * teardown that leaves it running for the next package's tests.
 * integrationTestConfig() names it for you.
 */
export async function setupForTests(): Promise<() => Promise<void>> {
  // Takes no options on purpose: vitest passes its project object to a globalSetup.
  publish(await ensureBroker());
  return async () => {};
}

/**
 * setupForTests for suites that need the SASL_SSL listener: starts the
 * broker with it when none runs, and fails with NOT_SECURE when one runs
 * without it. integrationTestConfig({ secure: true }) names it for you.
 */
export async function setupSecureForTests(): Promise<() => Promise<void>> {
  publish(await ensureBroker({ secure: true }));
  return async () => {};
}

function publish(info: BrokerInfo): void {
  process.env[BOOTSTRAP_ENV] = info.bootstrap;
  if (info.secure === null) delete process.env[SECURE_LISTENER_ENV];
  else process.env[SECURE_LISTENER_ENV] = JSON.stringify(info.secure);
}

export interface IntegrationTestOptions {
  readonly testTimeout: number;
  readonly hookTimeout: number;
  /** Other globalSetup files of the package (relative to it), run before the broker's. */
  readonly globalSetup?: readonly string[];
  /** The suites need the SASL_SSL listener: setupSecureForTests instead of setupForTests. */
  readonly secure?: boolean;
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
    globalSetup: [...(options.globalSetup ?? []), globalSetupFile(options.secure ?? false)],
    testTimeout: options.testTimeout,
    hookTimeout: options.hookTimeout,
    fileParallelism: false,
  };
}

/** The module whose default export is setupForTests (or setupSecureForTests), beside this one (dist/, or src/ when
 * run from the sources). */
function globalSetupFile(secure: boolean): string {
  const from = import.meta.url;
  const name = secure ? 'global-setup-secure' : 'global-setup';
  return fileURLToPath(new URL(`./${name}.${from.endsWith('.ts') ? 'ts' : 'js'}`, from));
}

/** A loopback port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SuiteBrokerOptions {
  /** With the SASL_SSL listeners on port + 2 and + 3 (see `secure`). */
  readonly secure?: boolean;
}

/**
 * A broker of a suite's own on `port`, for a suite that restarts or stops
 * it: doing that to the shared one on 9092 would break the other packages'
 * suites running meanwhile. Quiet: the broker's progress lines are dropped.
 *
 *   const broker = new SuiteBroker(19292);            // new SuiteBroker(19292, { secure: true })
 *   beforeAll(() => broker.start());
 *   afterAll(() => broker.stop());
 */
export class SuiteBroker {
  private client: TestKafka | undefined;
  private listener: SecureListener | null = null;
  private readonly secureMode: boolean;

  constructor(
    readonly port: number,
    options: SuiteBrokerOptions = {},
  ) {
    this.secureMode = options.secure ?? false;
  }

  /** A TestKafka on this broker; after start(). */
  get kafka(): TestKafka {
    if (this.client === undefined)
      throw new Error(`the broker on port ${this.port} is not started: call start() first (in beforeAll)`);
    return this.client;
  }

  get bootstrap(): string {
    return this.kafka.bootstrap;
  }

  /** The SASL_SSL listener; after start() of a SuiteBroker made with `secure`. */
  get secure(): SecureListener {
    if (this.listener === null)
      throw new Error(
        `the broker on port ${this.port} has no SASL_SSL listener: make it with { secure: true } and ` +
          `call start() first`,
      );
    return this.listener;
  }

  /** Starts the broker, or takes the one that runs on the port. */
  async start(): Promise<void> {
    const info = await ensureBroker({ ...this.quiet(), secure: this.secureMode });
    this.client = new TestKafka({ bootstrap: info.bootstrap });
    this.listener = info.secure;
  }

  /** Closes the client (deleting its topics) and stops the broker. */
  async stop(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
    this.listener = null;
    await stopBroker(this.quiet());
  }

  private quiet(): { port: number; log: (line: string) => void } {
    return { port: this.port, log: () => undefined };
  }
}
