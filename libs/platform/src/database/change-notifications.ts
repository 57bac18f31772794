import { Client } from 'pg';
import type { EntityManager } from 'typeorm';

export interface ChangeNotificationsOptions {
  connectionString: string;
  /** The PostgreSQL channel (an identifier: letters, digits, underscores). */
  channel: string;
  /** Told about a lost listening connection (it is reopened by itself). */
  onError?: (error: unknown) => void;
}

export interface ChangeWait {
  /** True when a change of the key was announced (or the listener reconnected), false at the timeout. */
  changed: Promise<boolean>;
  cancel(): void;
}

const RECONNECT_MAX_MS = 10_000;

/**
 * Long-polls without polling: a transaction that changes something announces it with
 * `ChangeNotifications.announce` (pg_notify, delivered only if it commits, to every instance),
 * and requests waiting here for that key wake at once. One dedicated connection LISTENs; when it
 * is lost it is reopened with backoff, and every waiter is woken to read again, since an
 * announcement may have been missed meanwhile.
 *
 * Register the wait before reading the state it is about (`waitFor`, then read): a change
 * committed between the read and the wait is then never missed.
 */
export class ChangeNotifications {
  private client?: Client;
  private readonly waiters = new Map<string, Set<(changed: boolean) => void>>();
  private stopped = false;
  private reconnectDelayMs = 250;

  constructor(private readonly options: ChangeNotificationsOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`not a channel name: ${options.channel}`);
  }

  /** Announces a change of `key` on `channel`, delivered when (and only if) the caller's transaction commits. */
  static async announce(manager: EntityManager, channel: string, key: string): Promise<void> {
    await manager.query(`SELECT pg_notify($1, $2)`, [channel, key]);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeAll(false);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Waits (at most `timeoutMs`) for the next announced change of `key`. */
  waitFor(key: string, timeoutMs: number): ChangeWait {
    let settle!: (changed: boolean) => void;
    const changed = new Promise<boolean>((resolve) => (settle = resolve));
    const set = this.waiters.get(key) ?? new Set();
    this.waiters.set(key, set);
    const done = (result: boolean): void => {
      clearTimeout(timer);
      set.delete(done);
      if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
      settle(result);
    };
    const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
    set.add(done);
    return { changed, cancel: () => done(false) };
  }

  /** How many requests are waiting now (for metrics and tests). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.options.connectionString });
    client.on('notification', (message) => {
      if (message.channel !== this.options.channel || message.payload === undefined) return;
      for (const wake of [...(this.waiters.get(message.payload) ?? [])]) wake(true);
    });
    const lost = (error?: unknown): void => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.options.onError?.(error ?? new Error('the listening connection ended'));
      this.wakeAll(true);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    await client.query(`LISTEN ${this.options.channel}`);
    this.client = client;
    this.reconnectDelayMs = 250;
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(RECONNECT_MAX_MS, delay * 2);
    setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch((error: unknown) => {
        this.options.onError?.(error);
        this.scheduleReconnect();
      });
    }, delay).unref();
  }

  private wakeAll(changed: boolean): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake(changed);
  }
}
