// drg serve's runtime: its components (the store, the HTTP listener, identity, the registry, the API, ...) started
// in order and stopped in reverse, each with a health state. Nothing from outside is answered before every component
// is ready: a component that takes requests (a listener) holds them until open().
import type { Endpoints } from '../model/endpoints.js';

export type HealthState = 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed';

export interface Component {
  /** Names it in health reports and start errors. */
  readonly name: string;
  /**
   * Acquires what the component holds (a file, a port, keys), using the components before it. A start that throws
   * must leave nothing behind: only the components started before it are stopped.
   */
  start(): Promise<void> | void;
  /** For a component that takes requests from outside: called once every component is ready; answer from then on. */
  open?(): void;
  /** For such a component: stop taking requests and let those in flight finish. Called before any component stops. */
  close?(): Promise<void> | void;
  /** Releases what start acquired. */
  stop(): Promise<void> | void;
  /** What it serves, as discovery advertises it (docs/drogue-api.md, "Discovery"); asked once it is ready. */
  endpoints?(): Endpoints;
}

export interface Health {
  /** `ready` once every component is; `failed` when one failed. */
  status: HealthState;
  components: Array<{ name: string; state: HealthState }>;
}

/** A start failure the user can act on: the message says what is wrong, in one line. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly reason: 'data-dir' | 'data-dir-locked' | 'address-in-use' | 'listen',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A component failed to start (the ones started before it were stopped): which one, and why in one line. */
export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    cause: unknown,
  ) {
    super(cause instanceof StartError ? cause.message : `cannot start ${component}: ${firstLine(cause)}`, { cause });
  }

  get reason(): StartError['reason'] | undefined {
    return this.cause instanceof StartError ? this.cause.reason : undefined;
  }
}

/** pino's loggers fit. */
export interface RuntimeLogger {
  debug(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class Runtime {
  private status: HealthState = 'stopped';
  private readonly states: Map<Component, HealthState>;
  private started: Component[] = [];
  private stopping?: Promise<void>;

  constructor(
    private readonly components: readonly Component[],
    private readonly logger?: RuntimeLogger,
  ) {
    this.states = new Map(components.map((c) => [c, 'stopped']));
  }

  /**
   * Starts every component in order, then opens them. When one fails, those already started are stopped in
   * reverse, and a ComponentStartError names it.
   */
  async start(): Promise<void> {
    this.status = 'starting';
    for (const c of this.components) this.states.set(c, 'starting');
    for (const [i, c] of this.components.entries()) {
      const since = performance.now();
      try {
        await c.start();
      } catch (err) {
        this.states.set(c, 'failed');
        for (const rest of this.components.slice(i + 1)) this.states.set(rest, 'stopped');
        await this.stopStarted();
        this.status = 'failed';
        throw new ComponentStartError(c.name, err);
      }
      this.started.push(c);
      this.states.set(c, 'ready');
      this.logger?.debug({ component: c.name, ms: Math.round(performance.now() - since) }, 'component ready');
    }
    this.status = 'ready';
    for (const c of this.components) c.open?.();
  }

  /** Closes the components that take requests, then stops all in reverse. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopStarted().then(() => {
      this.status = 'stopped';
    });
    return this.stopping;
  }

  health(): Health {
    return { status: this.status, components: this.components.map((c) => ({ name: c.name, state: this.state(c) })) };
  }

  /** Everything the ready components serve. */
  endpoints(): Endpoints {
    return Object.assign({}, ...this.started.map((c) => c.endpoints?.() ?? {}));
  }

  private state(c: Component): HealthState {
    return this.states.get(c)!;
  }

  /** A component whose stop fails is marked failed and logged; the others are stopped all the same. */
  private async stopStarted(): Promise<void> {
    const started = this.started.reverse();
    this.started = [];
    this.status = 'stopping';
    for (const c of started) this.states.set(c, 'stopping');
    for (const c of started) await this.run(c, () => c.close?.());
    for (const c of started) {
      await this.run(c, () => c.stop());
      if (this.state(c) !== 'failed') this.states.set(c, 'stopped');
    }
  }

  private async run(c: Component, step: () => Promise<void> | void): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.states.set(c, 'failed');
      this.logger?.error({ component: c.name, error: firstLine(err) }, 'component failed to stop');
    }
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}
