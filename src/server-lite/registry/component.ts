// The registry as a component of drg serve, on the store; new members and transfer targets must be known users.
import type { IdentityComponent } from '../identity/component.js';
import type { Component } from '../runtime.js';
import type { StoreComponent } from '../store/component.js';
import type { ListenerFailureLogger } from './events.js';
import { Registry } from './registry.js';

export class RegistryComponent implements Component {
  readonly name = 'registry';
  private current?: Registry;

  constructor(
    private readonly store: StoreComponent,
    private readonly identity: IdentityComponent,
    private readonly logger: ListenerFailureLogger,
  ) {}

  get registry(): Registry {
    if (!this.current) throw new Error('the registry has not started');
    return this.current;
  }

  start(): void {
    const { users } = this.identity;
    this.current = new Registry(this.store.db, { userExists: (user) => users.exists(user), logger: this.logger });
  }

  stop(): void {
    this.current = undefined;
  }
}
