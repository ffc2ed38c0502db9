// A Mesos agent as far as one executor can tell: the agent side of /api/v1/executor
// (shared/spec/executor-api.md §2–§6) on loopback, the MESOS_* environment a real agent
// hands its executor (§1), and a way to spawn the executor as a real child process.
// Product code: `mesos-sidecar run` is built on it, and so are the executor's tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { msToDurationInfo } from '../common/duration.js';
import { createLogger, type Logger } from '../common/logger.js';
import { codecs, JSON_TYPE, PROTOBUF_TYPE, type executor, type MessageContentType, type mesos } from '../proto/codec.js';
import { isTerminalState } from '../proto/task-state.js';
import { encodeRecord } from '../proto/recordio.js';
import { negotiateMessageType } from './accept.js';
import { BodyTooLargeError, readBody } from '../common/read-body.js';
import { validateExecutorCall } from './validation.js';

export interface EmulatorOptions {
  logger?: Logger;
  frameworkId?: string;
  agentId?: string;
  executorId?: string;
  /** Default ['TASK_KILLING_STATE', 'PARTITION_AWARE']. */
  capabilities?: mesos.FrameworkInfo.Capability.Type[];
  /** MESOS_CHECKPOINT for spawned executors, default true. */
  checkpoint?: boolean;
  /** Send ACKNOWLEDGED for every accepted update at once, default true. */
  autoAcknowledge?: boolean;
  /** Default: a fresh temporary directory, removed on close(). */
  sandboxRoot?: string;
  /** If set, every request needs `Authorization: Bearer <token>`. */
  executorAuthToken?: string;
  /** Mesos duration strings for the executor's environment. */
  recoveryTimeout?: string;
  subscriptionBackoffMax?: string;
  shutdownGracePeriod?: string;
  /** Also serve the executor API on a unix socket, passed as MESOS_DOMAIN_SOCKET. */
  domainSocket?: boolean;
  /**
   * Serve HTTPS on the TCP port, as an agent with LIBPROCESS_SSL_ENABLED (the unix socket
   * stays plain HTTP, as upstream). The executor needs LIBPROCESS_SSL_* to match: a real
   * agent does not hand its own on (containers.md §6.3), so spawnExecutor's `env` does.
   */
  tls?: EmulatorTls;
}

/** PEM text; `ca` and `requireClientCert` make the agent demand and verify a client certificate. */
export interface EmulatorTls {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  requireClientCert?: boolean;
}

/** What the emulator saw of one TLS handshake (event 'tls'). */
export interface TlsHandshake {
  protocol: string | null;
  /** The SNI name the client sent, false when none (libprocess sends none). */
  servername: string | false;
  /** The client's certificate subject CN, when it presented one. */
  clientCommonName?: string;
}

export interface ReceivedUpdate {
  status: mesos.TaskStatus;
  /** The UUID had been received before (a resend); the agent acknowledges it again. */
  duplicate: boolean;
  contentType: string;
}

export interface ExecutorProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stderr of the executor (pino JSON lines), empty with stdio 'inherit'. */
  stderrLines: string[];
}

export const EXECUTOR_API_PATHS: ReadonlySet<string> = new Set(['/api/v1/executor', '/slave(1)/api/v1/executor']);
const MAX_BODY = 16 * 1024 * 1024;
const MAX_STDERR_LINES = 20_000;
const EXECUTOR_BIN = fileURLToPath(new URL('../../bin/mesos-sidecar-executor', import.meta.url));

interface Waiter {
  pred: (s: mesos.TaskStatus) => boolean;
  resolve: (s: mesos.TaskStatus) => void;
  reject: (e: Error) => void;
}

interface EventStream {
  res: http.ServerResponse;
  contentType: MessageContentType;
}

/**
 * Events: 'update' (ReceivedUpdate), 'subscribe' (executor.Call, once accepted), 'call'
 * (every executor.Call that parsed and validated), 'message' (Buffer of a MESSAGE call),
 * 'request' (method, path, status of every answer), 'tls' (TlsHandshake of each accepted
 * TLS connection), 'tlsClientError' (Error of each refused TLS handshake).
 */
export class AgentEmulator extends EventEmitter {
  readonly frameworkId: string;
  readonly agentId: string;
  readonly executorId: string;
  /** The executor's container (SUBSCRIBED.container_id), parent of the tasks' containers. */
  readonly containerId: mesos.ContainerID = { value: randomUUID() };
  /** MESOS_SANDBOX / MESOS_DIRECTORY of spawned executors. */
  readonly sandbox: string;
  readonly updates: ReceivedUpdate[] = [];

  readonly #o: EmulatorOptions;
  readonly #log: Logger;
  readonly #sandboxRoot: string;
  readonly #ownsSandbox: boolean;
  #server: http.Server;
  #unixServer: http.Server | undefined;
  #tls: EmulatorTls | undefined;
  /** MESOS_DOMAIN_SOCKET, when `domainSocket` is set. */
  readonly socketPath: string | undefined;
  #port = 0;
  #stream: EventStream | undefined;
  /** The executor has subscribed since the (last) agent start: other calls are allowed. */
  #executorSubscribed = false;
  /** Events sent while no stream is open; delivered right after the next SUBSCRIBED. */
  #queued: executor.Event[] = [];
  /** Every UUID ever received, and whether it has been acknowledged (the agent checkpoints this). */
  readonly #seen = new Map<string, { status: mesos.TaskStatus; acknowledged: boolean }>();
  readonly #consumed = new Set<number>();
  #waiters: Waiter[] = [];
  #subscribeWaiters: Array<{ resolve: (c: executor.Call) => void; reject: (e: Error) => void }> = [];
  #failNext: { count: number; status: number } = { count: 0, status: 503 };
  #failNextSubscribes: { count: number; status: number } = { count: 0, status: 503 };
  readonly #executors = new Set<ExecutorProcess>();
  #closed = false;

  private constructor(options: EmulatorOptions) {
    super();
    this.#o = options;
    this.#log = options.logger ?? createLogger({ name: 'agent-emulator' });
    this.frameworkId = options.frameworkId ?? 'emulated-framework-0000';
    this.agentId = options.agentId ?? 'emulated-agent-S0';
    this.executorId = options.executorId ?? 'mesos-sidecar-executor';
    this.#ownsSandbox = options.sandboxRoot === undefined;
    this.#sandboxRoot = options.sandboxRoot ?? mkdtempSync(path.join(tmpdir(), 'mesos-sidecar-agent-'));
    // Tasks may run as another user (CommandInfo.user): they must be able to reach their
    // sandbox, as under a real agent's work directory.
    if (this.#ownsSandbox) chmodSync(this.#sandboxRoot, 0o755);
    this.sandbox = path.join(this.#sandboxRoot, 'executors', this.executorId, 'runs', this.containerId.value);
    mkdirSync(this.sandbox, { recursive: true });
    if (this.#ownsSandbox) process.once('exit', this.#removeSandbox);
    this.socketPath = options.domainSocket ? path.join(this.#sandboxRoot, 'agent.sock') : undefined;
    this.#tls = options.tls;
    this.#server = this.#createServer(this.#tls);
  }

  readonly #removeSandbox = (): void => {
    rmSync(this.#sandboxRoot, { recursive: true, force: true });
  };

  static async start(options: EmulatorOptions = {}): Promise<AgentEmulator> {
    const emulator = new AgentEmulator(options);
    await emulator.#listen(0);
    return emulator;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** An event stream is open right now. */
  get connected(): boolean {
    return this.#stream !== undefined;
  }

  // --- environment and executor processes --------------------------------------------------

  /** The MESOS_* environment a real agent gives its executor (executor-api.md §1). */
  executorEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
    const checkpoint = this.#o.checkpoint ?? true;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      MESOS_FRAMEWORK_ID: this.frameworkId,
      MESOS_EXECUTOR_ID: this.executorId,
      MESOS_AGENT_ENDPOINT: this.endpoint,
      MESOS_SLAVE_PID: `slave(1)@${this.endpoint}`,
      MESOS_SLAVE_ID: this.agentId,
      MESOS_DIRECTORY: this.sandbox,
      MESOS_SANDBOX: this.sandbox,
      MESOS_CHECKPOINT: checkpoint ? '1' : '0',
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: this.#o.shutdownGracePeriod ?? '5secs',
      MESOS_HTTP_COMMAND_EXECUTOR: '0',
      LIBPROCESS_PORT: '0',
      // A real agent gives each executor container its own cgroup; here every executor
      // shares ours, so each emulated executor container gets its own parent cgroup (and
      // recover() at its start cannot touch another executor's tasks).
      MESOS_SIDECAR_CGROUP_ROOT: `mesos-sidecar-${this.containerId.value}`,
    };
    if (checkpoint) {
      env.MESOS_RECOVERY_TIMEOUT = this.#o.recoveryTimeout ?? '15mins';
      env.MESOS_SUBSCRIPTION_BACKOFF_MAX = this.#o.subscriptionBackoffMax ?? '2secs';
    }
    if (this.#o.executorAuthToken) env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN = this.#o.executorAuthToken;
    if (this.socketPath) env.MESOS_DOMAIN_SOCKET = this.socketPath;
    return { ...env, ...overrides };
  }

  /**
   * Starts bin/mesos-sidecar-executor (or `command`) in its own process group with the
   * agent's environment; `encoding` picks the executor's content type.
   */
  spawnExecutor(options: { encoding?: 'json' | 'protobuf'; env?: Record<string, string>; command?: string[]; stdio?: 'pipe' | 'inherit' } = {}): ExecutorProcess {
    const env = this.executorEnvironment({ MESOS_SIDECAR_ENCODING: options.encoding ?? 'protobuf', ...(options.env ?? {}) });
    const [file, ...args] = options.command ?? [process.execPath, EXECUTOR_BIN];
    const stdio = options.stdio ?? 'pipe';
    const child = spawn(file!, args, {
      env,
      cwd: this.sandbox,
      detached: true,
      stdio: stdio === 'inherit' ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    });
    const stderrLines: string[] = [];
    if (child.stderr) {
      let partial = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const line of parts) {
          stderrLines.push(line);
          if (stderrLines.length > MAX_STDERR_LINES) stderrLines.shift();
        }
      });
      child.stderr.on('end', () => partial && stderrLines.push(partial));
    }
    // Nobody reads the executor's stdout; drain it so a chatty executor never blocks.
    child.stdout?.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('error', (err) => {
        this.#log.error({ err }, 'cannot start the executor');
        resolve({ code: null, signal: null });
      });
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const proc: ExecutorProcess = { child, pid: child.pid ?? -1, exited, stderrLines };
    this.#executors.add(proc);
    // If our own process ends without close() (a crashed test, process.exit), the executor
    // would wait out its recovery timeout: SIGTERM makes it take its tasks down and go now.
    const onExit = (): void => {
      try {
        if (proc.pid > 0) process.kill(proc.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    process.once('exit', onExit);
    void exited.then(() => {
      this.#executors.delete(proc);
      process.off('exit', onExit);
    });
    return proc;
  }

  // --- events towards the executor ----------------------------------------------------------

  launch(task: mesos.TaskInfo): void {
    this.#send({ type: 'LAUNCH', launch: { task } });
  }

  launchGroup(group: mesos.TaskGroupInfo): void {
    this.#send({ type: 'LAUNCH_GROUP', launch_group: { task_group: group } });
  }

  kill(taskId: string, gracePeriodMs?: number): void {
    const kill: executor.Event.Kill = { task_id: { value: taskId } };
    if (gracePeriodMs !== undefined) kill.kill_policy = { grace_period: msToDurationInfo(gracePeriodMs) };
    this.#send({ type: 'KILL', kill });
  }

  shutdown(): void {
    this.#send({ type: 'SHUTDOWN' });
  }

  sendError(message: string): void {
    this.#send({ type: 'ERROR', error: { message } });
  }

  sendMessage(data: Buffer): void {
    this.#send({ type: 'MESSAGE', message: { data } });
  }

  sendHeartbeat(): void {
    this.#send({ type: 'HEARTBEAT' });
  }

  /** Fault injection: raw bytes on the current event stream (throws if none is open). */
  sendRaw(bytes: Buffer): void {
    if (!this.#stream) throw new Error('no event stream is open');
    this.#stream.res.write(bytes);
  }

  /** Fault injection: the next `count` valid UPDATE calls are answered `status` and dropped. */
  failNextUpdates(count: number, status = 503): void {
    this.#failNext = { count, status };
  }

  /**
   * Fault injection: the next `count` valid SUBSCRIBE calls are answered `status` (503 is
   * what a recovering agent says, 404 what one says before its routes exist).
   */
  failNextSubscribes(count: number, status = 503): void {
    this.#failNextSubscribes = { count, status };
  }

  /** Sends ACKNOWLEDGED for a received update (for autoAcknowledge: false). */
  acknowledge(uuid: Buffer): void {
    const key = uuid.toString('hex');
    const seen = this.#seen.get(key);
    if (!seen) throw new Error(`no update with uuid ${key} was received`);
    seen.acknowledged = true;
    // Without a stream the receipt is lost, as with a real agent; the executor resends the
    // update on SUBSCRIBE and, the UUID being known and acknowledged, it is acknowledged again.
    if (this.#stream) this.#write({ type: 'ACKNOWLEDGED', acknowledged: { task_id: seen.status.task_id, uuid } });
  }

  // --- waiting --------------------------------------------------------------------------------

  /** Resolves with the next SUBSCRIBE call accepted from now on. */
  waitForSubscribed(): Promise<executor.Call> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('agent emulator closed'));
      this.#subscribeWaiters.push({ resolve, reject });
    });
  }

  /**
   * Resolves with the earliest non-duplicate update (already received or still to come)
   * that matches `pred` and has not been returned by an earlier waitForUpdate. So
   * `waitForUpdate(running)` after the update arrived still finds it, and two waits for
   * the same state find two different updates.
   */
  waitForUpdate(pred: (s: mesos.TaskStatus) => boolean): Promise<mesos.TaskStatus> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('agent emulator closed'));
      for (let i = 0; i < this.updates.length; i++) {
        const u = this.updates[i]!;
        if (!u.duplicate && !this.#consumed.has(i) && pred(u.status)) {
          this.#consumed.add(i);
          return resolve(u.status);
        }
      }
      this.#waiters.push({ pred, resolve, reject });
    });
  }

  waitForTerminal(taskId: string): Promise<mesos.TaskStatus> {
    return this.waitForUpdate((s) => s.task_id.value === taskId && isTerminalState(s.state));
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /**
   * Agent restart: streams and listener close, then the agent comes back on the same port,
   * with new TLS material if `tls` is given (an operator fixing a certificate).
   */
  async restart(options: { downMs?: number; tls?: EmulatorTls } = {}): Promise<void> {
    await this.#shutDownServer();
    this.#executorSubscribed = false;
    if (options.downMs) await new Promise((r) => setTimeout(r, options.downMs));
    if (this.#closed) return;
    if (options.tls) this.#tls = options.tls;
    this.#server = this.#createServer(this.#tls);
    await this.#listen(this.#port);
    this.#log.info({ endpoint: this.endpoint }, 'agent emulator restarted');
  }

  /** The agent goes away for good (the executor's recovery timeout will run out). */
  async stop(): Promise<void> {
    await this.#shutDownServer();
    this.#executorSubscribed = false;
  }

  /** Stops the server, ends spawned executors (and their tasks) and removes the sandbox. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#shutDownServer();
    await Promise.all([...this.#executors].map((e) => this.#endExecutor(e)));
    const err = new Error('agent emulator closed');
    for (const w of this.#waiters) w.reject(err);
    for (const w of this.#subscribeWaiters) w.reject(err);
    this.#waiters = [];
    this.#subscribeWaiters = [];
    if (this.#ownsSandbox) {
      process.off('exit', this.#removeSandbox);
      this.#removeSandbox();
    }
  }

  async #endExecutor(e: ExecutorProcess): Promise<void> {
    if (e.pid <= 0) return;
    // SIGTERM first: the executor then destroys its tasks' containers, which we cannot
    // see from here. SIGKILL for the executor's own group if it does not go within 5 s.
    const signal = (s: NodeJS.Signals): void => {
      try {
        process.kill(-e.pid, s);
      } catch {
        // the group is already gone
      }
    };
    signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([e.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    signal('SIGKILL');
    await e.exited;
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    if (this.socketPath) {
      rmSync(this.socketPath, { force: true });
      const unix = (this.#unixServer = this.#createServer(undefined));
      await new Promise<void>((resolve, reject) => {
        unix.once('error', reject);
        unix.listen(this.socketPath, () => {
          unix.off('error', reject);
          resolve();
        });
      });
    }
  }

  async #shutDownServer(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.res.destroy();
    const servers = [this.#server, this.#unixServer].filter((s): s is http.Server => s !== undefined && s.listening);
    this.#unixServer = undefined;
    await Promise.all(
      servers.map((server) => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        return closed;
      }),
    );
  }

  // --- HTTP -------------------------------------------------------------------------------------

  #createServer(tls?: EmulatorTls): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#log.error({ err }, 'agent emulator request failed');
        if (!res.headersSent) this.#reply(req, res, 500, String(err));
        else res.destroy();
      });
    };
    let server: http.Server;
    if (tls) {
      const secure = https.createServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca ? { ca: tls.ca } : {}),
          requestCert: tls.requireClientCert ?? false,
          rejectUnauthorized: tls.requireClientCert ?? false,
        },
        handler,
      );
      secure.on('secureConnection', (socket) => {
        const peer = socket.getPeerCertificate();
        const handshake: TlsHandshake = { protocol: socket.getProtocol(), servername: (socket as unknown as { servername: string | false }).servername };
        if (peer && typeof peer.subject?.CN === 'string') handshake.clientCommonName = peer.subject.CN;
        this.emit('tls', handshake);
      });
      secure.on('tlsClientError', (err) => this.emit('tlsClientError', err));
      // https.Server has every http.Server member used here (listen, close, closeAllConnections).
      server = secure as unknown as http.Server;
    } else {
      server = http.createServer(handler);
    }
    server.keepAliveTimeout = 60_000;
    return server;
  }

  #reply(req: http.IncomingMessage, res: http.ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...(body ? { 'Content-Type': 'text/plain; charset=utf-8' } : {}), ...headers });
    res.end(body);
    this.emit('request', req.method, req.url, status);
  }

  // The order of the checks is the agent's (src/slave/http.cpp, Http::executor).
  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0]!;
    if (!EXECUTOR_API_PATHS.has(url)) return this.#reply(req, res, 404);
    if (this.#o.executorAuthToken && req.headers.authorization !== `Bearer ${this.#o.executorAuthToken}`) {
      return this.#reply(req, res, 401, '', { 'WWW-Authenticate': 'Bearer realm="mesos-agent-executor"' });
    }
    if (req.method !== 'POST') {
      return this.#reply(req, res, 405, `Expecting one of { 'POST' }, but received '${req.method}'`, { Allow: 'POST' });
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return this.#reply(req, res, 413, `Request body exceeds ${MAX_BODY} bytes`);
      throw err;
    }
    const contentType = req.headers['content-type'];
    if (contentType === undefined) return this.#reply(req, res, 400, "Expecting 'Content-Type' to be present");
    let call: executor.Call;
    if (contentType === PROTOBUF_TYPE) {
      try {
        call = codecs.executor.Call.decodeBinary(body);
      } catch {
        return this.#reply(req, res, 400, 'Failed to parse body into Call protobuf');
      }
    } else if (contentType === JSON_TYPE) {
      try {
        JSON.parse(body.toString('utf8'));
      } catch (err) {
        return this.#reply(req, res, 400, `Failed to parse body into JSON: ${(err as Error).message}`);
      }
      try {
        call = codecs.executor.Call.decodeJson(body);
      } catch (err) {
        return this.#reply(req, res, 400, `Failed to convert JSON into Call protobuf: ${(err as Error).message}`);
      }
    } else {
      return this.#reply(req, res, 415, `Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE}`);
    }
    const invalid = validateExecutorCall(call);
    if (invalid) return this.#reply(req, res, 400, `Failed to validate Executor::Call: ${invalid}`);
    this.emit('call', call);

    let acceptType: MessageContentType | undefined;
    if (call.type === 'SUBSCRIBE') {
      acceptType = negotiateMessageType(req.headers.accept);
      if (!acceptType) return this.#reply(req, res, 406, `Expecting 'Accept' to allow '${PROTOBUF_TYPE}' or '${JSON_TYPE}'`);
    } else if (call.type === 'HEARTBEAT') {
      return this.#reply(req, res, 202);
    }
    if (call.framework_id.value !== this.frameworkId) return this.#reply(req, res, 400, 'Framework cannot be found');
    if (call.executor_id.value !== this.executorId) return this.#reply(req, res, 400, 'Executor cannot be found');
    if (!this.#executorSubscribed && call.type !== 'SUBSCRIBE') return this.#reply(req, res, 403, 'Executor is not subscribed');

    switch (call.type) {
      case 'SUBSCRIBE':
        if (this.#failNextSubscribes.count > 0) {
          this.#failNextSubscribes.count--;
          const status = this.#failNextSubscribes.status;
          return this.#reply(req, res, status, status === 503 ? 'Agent has not finished recovery' : `injected failure ${status}`);
        }
        return this.#onSubscribe(req, res, call, acceptType!);
      case 'UPDATE': {
        if (this.#failNext.count > 0) {
          this.#failNext.count--;
          return this.#reply(req, res, this.#failNext.status, `injected failure ${this.#failNext.status}`);
        }
        this.#reply(req, res, 202);
        this.#onUpdate(call.update!.status, contentType);
        return;
      }
      case 'MESSAGE':
        this.#reply(req, res, 202);
        this.emit('message', call.message!.data);
        return;
      default:
        return this.#reply(req, res, 501);
    }
  }

  #onSubscribe(req: http.IncomingMessage, res: http.ServerResponse, call: executor.Call, contentType: MessageContentType): void {
    // A newer subscription replaces the old stream.
    const old = this.#stream;
    if (old) old.res.end();
    res.writeHead(200, { 'Content-Type': contentType });
    res.flushHeaders();
    this.emit('request', req.method, req.url, 200);
    const stream: EventStream = { res, contentType };
    this.#stream = stream;
    this.#executorSubscribed = true;
    res.on('close', () => {
      if (this.#stream === stream) this.#stream = undefined;
    });
    this.#log.info(
      { unacknowledgedTasks: call.subscribe?.unacknowledged_tasks?.length ?? 0, unacknowledgedUpdates: call.subscribe?.unacknowledged_updates?.length ?? 0, contentType },
      'executor subscribed',
    );
    this.#write(this.#subscribedEvent());
    // Resent updates go through the update path again: new ones are accepted, known ones
    // are duplicates, acknowledged again if the agent had already acknowledged them.
    for (const u of call.subscribe?.unacknowledged_updates ?? []) this.#onUpdate(u.status, contentType);
    const queued = this.#queued;
    this.#queued = [];
    for (const e of queued) this.#write(e);
    this.emit('subscribe', call);
    const waiters = this.#subscribeWaiters;
    this.#subscribeWaiters = [];
    for (const w of waiters) w.resolve(call);
  }

  #subscribedEvent(): executor.Event {
    const capabilities = this.#o.capabilities ?? ['TASK_KILLING_STATE', 'PARTITION_AWARE'];
    const executorInfo: mesos.ExecutorInfo = {
      type: 'CUSTOM',
      executor_id: { value: this.executorId },
      framework_id: { value: this.frameworkId },
      command: { value: EXECUTOR_BIN, shell: false, arguments: ['mesos-sidecar-executor'] },
      name: 'mesos-sidecar',
    };
    if (this.#o.shutdownGracePeriod) {
      executorInfo.shutdown_grace_period = msToDurationInfo(this.#shutdownGraceMs());
    }
    return {
      type: 'SUBSCRIBED',
      subscribed: {
        executor_info: executorInfo,
        framework_info: {
          user: userInfo().username,
          name: 'mesos-sidecar-emulator',
          id: { value: this.frameworkId },
          checkpoint: this.#o.checkpoint ?? true,
          capabilities: capabilities.map((type) => ({ type })),
        },
        agent_info: { hostname: hostname(), port: this.#port, id: { value: this.agentId } },
        container_id: this.containerId,
      },
    };
  }

  #shutdownGraceMs(): number {
    const m = /^(\d+(?:\.\d+)?)(ms|secs|mins)$/.exec(this.#o.shutdownGracePeriod ?? '5secs');
    if (!m) return 5000;
    return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'secs' ? 1000 : 60_000);
  }

  #onUpdate(status: mesos.TaskStatus, contentType: string): void {
    const uuid = status.uuid!;
    const key = uuid.toString('hex');
    const seen = this.#seen.get(key);
    const duplicate = seen !== undefined;
    if (!seen) this.#seen.set(key, { status, acknowledged: false });
    const received: ReceivedUpdate = { status, duplicate, contentType };
    const index = this.updates.push(received) - 1;
    this.#log.debug({ task_id: status.task_id.value, state: status.state, duplicate }, 'status update received');
    this.emit('update', received);
    if (!duplicate) {
      const w = this.#waiters.findIndex((x) => x.pred(status));
      if (w !== -1) {
        this.#consumed.add(index);
        const [waiter] = this.#waiters.splice(w, 1);
        waiter!.resolve(status);
      }
    }
    if (this.#o.autoAcknowledge ?? true) this.acknowledge(uuid);
    else if (seen?.acknowledged) this.acknowledge(uuid);
  }

  #send(event: executor.Event): void {
    if (this.#stream) this.#write(event);
    else this.#queued.push(event);
  }

  #write(event: executor.Event): void {
    const stream = this.#stream;
    if (!stream) return;
    stream.res.write(encodeRecord(codecs.executor.Event.encode(event, stream.contentType)));
  }
}

