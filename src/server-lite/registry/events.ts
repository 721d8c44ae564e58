// Registry change events: every committed write publishes what it changed, after the commit and in commit order,
// for the parts that follow the registry (a credential cache, the event bus, a console's live view).
import type { ResourceKind } from '../../model/resource.js';

export type RegistryOperation =
  | 'created'
  | 'updated'
  /** Gone from the store; a delete that only marks the resource (finalizers) is an 'updated'. */
  | 'deleted'
  | 'members-changed'
  | 'transfer-offered'
  /** Withdrawn by the owner or declined by the offered user. */
  | 'transfer-cancelled'
  | 'transfer-accepted';

export interface RegistryEvent {
  kind: ResourceKind;
  application: string;
  /** For kind 'device'. */
  device?: string;
  operation: RegistryOperation;
  /** For an 'updated': false when only metadata or status changed (the spec, and its generation, did not). */
  specChanged?: boolean;
  /** The resource's uid and resourceVersion after the write; absent once it is gone. */
  uid?: string;
  resourceVersion?: string;
}

/** Runs after the commit, so what it does (or throws) cannot undo the write. May be async; its result is ignored. */
export type RegistryListener = (event: RegistryEvent) => unknown;

/** pino's loggers fit. */
export interface ListenerFailureLogger {
  warn(obj: object, msg: string): void;
}

export class RegistryEvents {
  private readonly listeners: { name: string; listener: RegistryListener }[] = [];
  private readonly pending: RegistryEvent[] = [];
  private delivering = false;

  constructor(private readonly logger?: ListenerFailureLogger) {}

  /** Adds a listener (`name` identifies it in logs); returns the function that removes it. */
  subscribe(name: string, listener: RegistryListener): () => void {
    const entry = { name, listener };
    this.listeners.push(entry);
    return () => {
      const at = this.listeners.indexOf(entry);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /**
   * Delivers the events of one committed write to every listener, in order. A write a listener makes meanwhile
   * is delivered after these, so every listener sees every write in commit order. A listener that fails is
   * logged and skipped: the others still get the event.
   */
  publish(events: readonly RegistryEvent[]): void {
    this.pending.push(...events);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let event = this.pending.shift(); event; event = this.pending.shift()) {
        for (const { name, listener } of [...this.listeners]) this.deliver(name, listener, event);
      }
    } finally {
      this.delivering = false;
    }
  }

  private deliver(name: string, listener: RegistryListener, event: RegistryEvent): void {
    try {
      const result = listener(event);
      if (result instanceof Promise) result.catch((err: unknown) => this.failed(name, event, err));
    } catch (err) {
      this.failed(name, event, err);
    }
  }

  private failed(listener: string, event: RegistryEvent, err: unknown): void {
    const { kind, application, device, operation } = event;
    this.logger?.warn(
      { listener, event: { kind, application, device, operation }, error: (err as Error)?.message ?? String(err) },
      'registry event listener failed',
    );
  }
}
