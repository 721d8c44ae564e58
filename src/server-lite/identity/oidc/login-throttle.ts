// Brute-force protection for the login form and the device code page, after Keycloak's brute-force detection.
// Failures are counted per account (the user name as typed, whether it exists or not) and per client (its
// address). Past the free failures, each failure makes that account or client wait, doubling from 1 s up to
// 15 minutes, and an attempt during the wait is refused without being checked. Past the free failures, attempts
// are also checked one at a time, so that concurrent guesses cannot all slip in before the wait. A success
// resets the account (not the client); counts lapse after 12 quiet hours. The counts live in memory (a restart
// forgets them), for at most MAX_TRACKED accounts and as many clients, the least recently seen dropped first.
import { isIPv6 } from 'node:net';

export const ACCOUNT_FREE_FAILURES = 3;
export const CLIENT_FREE_FAILURES = 10;
export const FIRST_WAIT_MS = 1000;
export const MAX_WAIT_MS = 15 * 60 * 1000;
export const QUIET_RESET_MS = 12 * 60 * 60 * 1000;
export const MAX_TRACKED = 10_000;
/** Longer user names count as their first 100 characters (real ones have at most 64). */
const MAX_ACCOUNT_KEY = 100;

export interface LoginThrottleOptions {
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
}

/** Where an attempt stands after a failure. */
export interface FailureOutcome {
  /** The account's failures (the client's when there is no account). */
  failures: number;
  clientFailures: number;
  /** The wait this failure started, in whole seconds; 0 when none. */
  waitSeconds: number;
}

export type Admission = { allowed: true; attempt: LoginAttempt } | { allowed: false; waitSeconds: number };

export class LoginThrottle {
  private readonly accounts = new FailureCounts(ACCOUNT_FREE_FAILURES);
  private readonly clients = new FailureCounts(CLIENT_FREE_FAILURES);
  private readonly now: () => number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** Lets an attempt from `client` (clientOf) for `account` (if it names one) be checked, or says how long to wait. */
  admit(client: string, account?: string): Admission {
    const now = this.now();
    const accountKey = account?.slice(0, MAX_ACCOUNT_KEY);
    const waitMs = Math.max(
      this.clients.waitOf(client, now),
      accountKey === undefined ? 0 : this.accounts.waitOf(accountKey, now),
    );
    if (waitMs > 0) return { allowed: false, waitSeconds: Math.ceil(waitMs / 1000) };
    this.clients.begin(client, now);
    if (accountKey !== undefined) this.accounts.begin(accountKey, now);
    return { allowed: true, attempt: new LoginAttempt(this.accounts, this.clients, this.now, client, accountKey) };
  }

  /** How many accounts and clients are tracked. */
  get tracked(): { accounts: number; clients: number } {
    return { accounts: this.accounts.size, clients: this.clients.size };
  }
}

/** An admitted attempt: ends once, as failed, succeeded or abandoned. */
export class LoginAttempt {
  private ended = false;

  constructor(
    private readonly accounts: FailureCounts,
    private readonly clients: FailureCounts,
    private readonly now: () => number,
    private readonly client: string,
    private readonly account: string | undefined,
  ) {}

  /** The credentials were wrong: counts a failure for the client and the account. */
  failed(): FailureOutcome {
    this.end();
    const now = this.now();
    const client = this.clients.fail(this.client, now);
    const account = this.account === undefined ? client : this.accounts.fail(this.account, now);
    return {
      failures: account.failures,
      clientFailures: client.failures,
      waitSeconds: Math.ceil(Math.max(account.waitMs, client.waitMs) / 1000),
    };
  }

  /** The credentials were right: the account's count starts again. */
  succeeded(): void {
    this.end();
    this.release(true);
  }

  /** Nothing was checked (the server was busy or failed); nothing when the attempt already ended. */
  abandoned(): void {
    if (this.ended) return;
    this.end();
    this.release(false);
  }

  private release(reset: boolean): void {
    const now = this.now();
    this.clients.end(this.client, now, false);
    if (this.account !== undefined) this.accounts.end(this.account, now, reset);
  }

  private end(): void {
    if (this.ended) throw new Error('this login attempt has already ended');
    this.ended = true;
  }
}

interface Entry {
  failures: number;
  /** When the last failure was (or the entry was made). */
  lastFailure: number;
  waitUntil: number;
  /** Attempts being checked now. */
  checking: number;
}

/** Failures per key, in a map whose order is that of last use. */
class FailureCounts {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly freeFailures: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Milliseconds `key` must wait before its next attempt is checked; 0 when it may go on. */
  waitOf(key: string, now: number): number {
    const entry = this.current(key, now);
    if (entry === undefined) return 0;
    if (now < entry.waitUntil) return entry.waitUntil - now;
    // The next failure would start a wait: one attempt at a time.
    if (entry.checking > 0 && entry.failures + entry.checking >= this.freeFailures) return FIRST_WAIT_MS;
    return 0;
  }

  begin(key: string, now: number): void {
    this.touch(key, now).checking++;
  }

  /** Ends a check that failed; returns the failures and the wait that starts now. */
  fail(key: string, now: number): { failures: number; waitMs: number } {
    const entry = this.touch(key, now);
    entry.checking = Math.max(0, entry.checking - 1);
    entry.failures++;
    entry.lastFailure = now;
    const beyond = entry.failures - this.freeFailures;
    const waitMs = beyond > 0 ? Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (beyond - 1)) : 0;
    entry.waitUntil = now + waitMs;
    return { failures: entry.failures, waitMs };
  }

  /** Ends a check without a failure; `reset` forgets the failures. */
  end(key: string, now: number, reset: boolean): void {
    const entry = this.touch(key, now);
    entry.checking = Math.max(0, entry.checking - 1);
    if (reset) Object.assign(entry, { failures: 0, waitUntil: 0 });
    if (entry.failures === 0 && entry.checking === 0) this.entries.delete(key);
  }

  /** The entry of `key` unless it lapsed, made the most recently used (so a key being tried is kept). */
  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    const lapsed = entry.checking === 0 && now >= entry.waitUntil && now - entry.lastFailure >= QUIET_RESET_MS;
    if (lapsed) return undefined;
    this.entries.set(key, entry);
    return entry;
  }

  /** The entry of `key`, made the most recently used; drops the least recently used beyond MAX_TRACKED. */
  private touch(key: string, now: number): Entry {
    let entry = this.current(key, now);
    if (entry === undefined) {
      entry = { failures: 0, lastFailure: now, waitUntil: 0, checking: 0 };
      this.entries.set(key, entry);
    }
    if (this.entries.size > MAX_TRACKED) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return entry;
  }
}

/**
 * The key of a client: its IPv4 address, or the /64 network of its IPv6 address (what one host is usually
 * given, so that rotating addresses within it gains nothing).
 */
export function clientOf(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const plain = address.split('%')[0];
  if (!isIPv6(plain)) return address;
  const [head, tail] = plain.split('::').map((part) => (part ? part.split(':') : []));
  // An embedded IPv4 address (::ffff:1.2.3.4 aside) takes two groups.
  const tailGroups = (tail ?? []).flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const groups =
    tail === undefined ? head : [...head, ...Array(8 - head.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
