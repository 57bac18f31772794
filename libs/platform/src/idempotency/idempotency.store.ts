import { randomUUID } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import type { DataSource } from 'typeorm';

/** One key: the caller's organisation, the route (method and path template) and the key itself. */
export interface IdempotencyScope {
  organisationId: string;
  route: string;
  key: string;
}

/** A claim on a key: only its holder (by token) may complete or release it. */
export interface IdempotencyClaim {
  scope: IdempotencyScope;
  token: string;
}

export type IdempotencyBegin =
  /** Nobody had the key (or its claim had lapsed): run the handler, then complete or release. */
  | { kind: 'claimed'; claim: IdempotencyClaim }
  /** The first request finished: answer with its stored response. */
  | { kind: 'replay'; status: number; body: unknown }
  /** The key was used for a request with another fingerprint. */
  | { kind: 'mismatch' }
  /** The first request still runs and its claim holds. */
  | { kind: 'in_progress' };

export interface IdempotencyStoreOptions {
  /** How long a claim holds before another request may take it over (the holder extends it while it runs). Default 30 s. */
  lockSeconds?: number;
  /** How long a key is remembered after its request completes. Default (and minimum) 24 h. */
  retentionSeconds?: number;
  /** At most one purge of expired keys per this interval per store (opportunistic, from begin()). Default 60 s; 0 turns it off. */
  purgeIntervalMs?: number;
  /** Rows one purge deletes at most. Default 1000. */
  purgeBatchSize?: number;
  logger?: PinoLogger;
}

export const DEFAULT_IDEMPOTENCY_LOCK_SECONDS = 30;
export const MIN_IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;

interface StoredRow {
  fingerprint: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
}

const wholeSeconds = (seconds: number): number => Math.max(1, Math.ceil(seconds));

const SCOPE = `organisation_id = $1 AND route = $2 AND idempotency_key = $3`;
const scopeParams = (scope: IdempotencyScope): string[] => [scope.organisationId, scope.route, scope.key];

/**
 * The `platform_idempotency` table of a service's own database. Every statement is a single
 * autocommit statement, and every time comparison uses the database clock, so instances of a
 * service with skewed clocks agree on who holds a key.
 */
export class IdempotencyStore {
  private readonly lockSeconds: number;
  private readonly retentionSeconds: number;
  private readonly purgeIntervalMs: number;
  private readonly purgeBatchSize: number;
  private lastPurgeAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: IdempotencyStoreOptions = {},
  ) {
    this.lockSeconds = wholeSeconds(options.lockSeconds ?? DEFAULT_IDEMPOTENCY_LOCK_SECONDS);
    this.retentionSeconds = Math.max(MIN_IDEMPOTENCY_RETENTION_SECONDS, wholeSeconds(options.retentionSeconds ?? MIN_IDEMPOTENCY_RETENTION_SECONDS));
    this.purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
    this.purgeBatchSize = options.purgeBatchSize ?? 1000;
  }

  /** Claims the key, or says why not (replay, mismatch, in progress). */
  async begin(scope: IdempotencyScope, fingerprint: string, lockFor = this.lockSeconds): Promise<IdempotencyBegin> {
    const lockSeconds = wholeSeconds(lockFor);
    this.maybePurge();
    // A row can vanish between two statements (released by its holder, purged): look again, a few times.
    for (let attempt = 0; attempt < 5; attempt++) {
      const token = randomUUID();
      const inserted: unknown[] = await this.dataSource.query(
        `INSERT INTO platform_idempotency (organisation_id, route, idempotency_key, fingerprint, state, lock_token, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, 'in_progress', $5, now() + $6::int * interval '1 second', now() + $7::int * interval '1 second')
         ON CONFLICT DO NOTHING
         RETURNING 1`,
        [...scopeParams(scope), fingerprint, token, lockSeconds, this.retentionSeconds],
      );
      if (inserted.length === 1) return { kind: 'claimed', claim: { scope, token } };

      // Take over a key whose retention has passed (forgotten: any request may use it again), or
      // a claim of the same request whose holder stopped extending it (its process died).
      const [takenOver] = (await this.dataSource.query(
        `UPDATE platform_idempotency
            SET fingerprint = $4, state = 'in_progress', lock_token = $5, response_status = NULL, response_body = NULL,
                completed_at = NULL, created_at = now(), locked_until = now() + $6::int * interval '1 second',
                expires_at = now() + $7::int * interval '1 second'
          WHERE ${SCOPE}
            AND (expires_at <= now() OR (state = 'in_progress' AND locked_until <= now() AND fingerprint = $4))
          RETURNING 1`,
        [...scopeParams(scope), fingerprint, token, lockSeconds, this.retentionSeconds],
      )) as [unknown[], number];
      if (takenOver.length === 1) {
        this.options.logger?.warn({ route: scope.route, organisationId: scope.organisationId }, 'idempotency: took over a lapsed claim or an expired key');
        return { kind: 'claimed', claim: { scope, token } };
      }

      const rows: StoredRow[] = await this.dataSource.query(
        `SELECT fingerprint, state, response_status, response_body FROM platform_idempotency WHERE ${SCOPE} AND expires_at > now()`,
        scopeParams(scope),
      );
      const row = rows[0];
      if (!row) continue;
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.state === 'completed') return { kind: 'replay', status: Number(row.response_status), body: row.response_body };
      return { kind: 'in_progress' };
    }
    // Only reachable when the row keeps vanishing; tell the client to retry rather than fail.
    return { kind: 'in_progress' };
  }

  /**
   * Stores the response of a claimed key. False when the claim was no longer ours (it lapsed and
   * another request took it over); the response is then not stored.
   */
  async complete(claim: IdempotencyClaim, status: number, body: unknown): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE platform_idempotency
          SET state = 'completed', response_status = $5, response_body = $6::jsonb, completed_at = now(),
              lock_token = NULL, locked_until = NULL,
              expires_at = greatest(expires_at, now() + $7::int * interval '1 second')
        WHERE ${SCOPE} AND lock_token = $4 AND state = 'in_progress'`,
      [...scopeParams(claim.scope), claim.token, status, JSON.stringify(body ?? null), this.retentionSeconds],
    )) as [unknown, number];
    return count === 1;
  }

  /** Forgets a claimed key, so the client may retry with it (after an unexpected failure). */
  async release(claim: IdempotencyClaim): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `DELETE FROM platform_idempotency WHERE ${SCOPE} AND lock_token = $4 AND state = 'in_progress'`,
      [...scopeParams(claim.scope), claim.token],
    )) as [unknown, number];
    return count === 1;
  }

  /** Keeps a claim alive while its handler runs. False when it is no longer ours. */
  async extend(claim: IdempotencyClaim, lockFor = this.lockSeconds): Promise<boolean> {
    const lockSeconds = wholeSeconds(lockFor);
    const [, count] = (await this.dataSource.query(
      `UPDATE platform_idempotency SET locked_until = now() + $5::int * interval '1 second'
        WHERE ${SCOPE} AND lock_token = $4 AND state = 'in_progress'`,
      [...scopeParams(claim.scope), claim.token, lockSeconds],
    )) as [unknown, number];
    return count === 1;
  }

  /** Deletes up to `limit` keys past their retention (never a claim that still holds). Returns how many. */
  async purgeExpired(limit = this.purgeBatchSize): Promise<number> {
    const [, count] = (await this.dataSource.query(
      `DELETE FROM platform_idempotency
        WHERE ctid = ANY(ARRAY(
          SELECT ctid FROM platform_idempotency
           WHERE expires_at <= now() AND (state = 'completed' OR locked_until <= now())
           LIMIT $1
           FOR UPDATE SKIP LOCKED))`,
      [limit],
    )) as [unknown, number];
    return count;
  }

  /** At most once per interval, in the background: a request never waits for it. */
  private maybePurge(): void {
    if (this.purgeIntervalMs <= 0) return;
    const now = Date.now();
    if (now - this.lastPurgeAt < this.purgeIntervalMs) return;
    this.lastPurgeAt = now;
    void this.purgeExpired().then(
      (purged) => {
        if (purged > 0) this.options.logger?.debug({ purged }, 'idempotency: purged expired keys');
      },
      (error: unknown) => this.options.logger?.warn({ err: error }, 'idempotency: purging expired keys failed'),
    );
  }
}
