// The connection intake starts new leads' workflows on. The API's own client speaks gRPC through
// grpc-js (`Connection.lazy`, api/main.ts): it comes up while Temporal is down, and its retry
// interceptor keeps every call within its request's deadline (api/deadline.ts). A workflow start
// is the API's hottest call — one per new lead — and through grpc-js it costs the API's process
// about 0.6–0.8 ms more CPU than through the Rust core's connection the worker uses
// (`NativeConnection`; measured by `npm run bench`, issue 16): a fifth of what a POST /leads costs
// it. So once a core connection is up, intake starts on it; until then (Temporal unreachable when
// the API started) on the API's own client, while the core connection keeps being tried.
//
// The core retries an unavailable server for up to 10 s whatever the call's deadline, so intake
// races the start against its deadline (api/intake.ts) rather than trusting the transport to end
// it: an unanswered start leaves the lead registered (202), and the intake sweep starts it.
import { Client } from '@temporalio/client';
import { DefaultLogger, type LogEntry, NativeConnection, Runtime } from '@temporalio/worker';

/** How long after a failed attempt the core connection is tried again. */
export const CORE_RETRY_MS = 5_000;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The core's runtime for the API process: its log lines (a retried start, a lost connection) go
 * to the API's own JSON log instead of the core's console format, and it installs no signal
 * handlers — the API drains itself on SIGTERM (api/main.ts). Call once, before the first connect.
 */
export function installCoreRuntime(log: Log & { error(obj: object, msg: string): void; debug(obj: object, msg: string): void }): void {
  const write = (e: LogEntry) => {
    const level = e.level === 'ERROR' ? 'error' : e.level === 'WARN' ? 'warn' : e.level === 'INFO' ? 'info' : 'debug';
    log[level]({ ...e.meta, from: 'temporal-core' }, e.message);
  };
  Runtime.install({
    logger: new DefaultLogger('WARN', write),
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
    shutdownSignals: [],
  });
}

export class CoreStarts {
  private connection?: NativeConnection;
  private started?: Client;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly connect: () => Promise<NativeConnection>,
    /** The client over the core connection: the API client's namespace, data converter (one key cache) and interceptors. */
    private readonly clientOf: (connection: NativeConnection) => Client,
    private readonly retryMs = CORE_RETRY_MS,
  ) {}

  /** The client intake starts workflows with: the core connection's once it is up, else undefined (use the API's own). */
  client(): Client | undefined {
    return this.started;
  }

  /** Connects in the background, and again every `retryMs` until it succeeds; the first failure is logged, not each retry. */
  start(log: Log): this {
    let failures = 0;
    const attempt = async () => {
      this.timer = undefined;
      try {
        const connection = await this.connect();
        if (this.closed) return void (await connection.close());
        this.connection = connection;
        this.started = this.clientOf(connection);
        log.info({ failures }, 'workflow starts go through the core connection');
      } catch (err) {
        if (failures++ === 0) log.warn({ err }, 'core connection to Temporal not up: intake starts through the API client until it is');
        if (!this.closed) this.timer = setTimeout(() => void attempt(), this.retryMs).unref();
      }
    };
    void attempt();
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.started = undefined;
    await this.connection?.close();
  }
}
