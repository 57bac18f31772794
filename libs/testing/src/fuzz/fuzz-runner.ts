import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { Pool } from 'pg';
import { deeplyNested, operationsOf, PROTOTYPE_KEYS, requestArbitrary, type FuzzOperation, type FuzzRequest } from './fuzz-requests';
import type { Schema } from './schema-arbitrary';

export interface FuzzAccount {
  /** merchant, supplier, operator: how reports name it. */
  name: string;
  token: string;
  /**
   * Logs in again and answers the new token. A fuzzed request may end the session (logout, a
   * renewal that retires the old token); without a new one every later request would stop at 401.
   */
  login?: () => Promise<string>;
}

export interface FuzzDatabase {
  name: string;
  url: string;
}

export interface FuzzOptions {
  /** The gateway's base URL. */
  baseUrl: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the OpenAPI document, walked as data
  document: any;
  accounts: FuzzAccount[];
  /** Every database of the system: a request answered 4xx must leave each table's row count as it was. */
  databases: FuzzDatabase[];
  /** Ids of real resources, for path parameters. */
  ids: string[];
  /** Requests in all, spread evenly over operations and accounts (at least one each). */
  runs: number;
  seed: number;
  /** An answer slower than this fails the run. */
  maxMs: number;
  /** Only the operations whose id contains this (e.g. `POST /api/v1/catalog/brands`). */
  operation?: string;
  /** 4xx answers that change rows by design, each with the reason; any other change on a 4xx fails. */
  intendedChanges?: IntendedChange[];
}

export interface IntendedChange {
  /** The operation's id, e.g. `POST /api/v1/stock/{productId}/pull`. */
  operation: string;
  /** The problem's code. */
  code: string;
  /** `service.table` names it may change. */
  tables: string[];
  why: string;
}

export interface FuzzFailure {
  seed: number;
  account: string;
  operation: string;
  request: FuzzRequest;
  status: number;
  ms: number;
  why: string;
  answer: string;
}

export interface FuzzReport {
  operations: number;
  requests: number;
  /** Requests per operation, every account together. */
  perOperation: Record<string, number>;
  /** Answers by status class and request kind. */
  statuses: Record<string, number>;
  kinds: Record<string, number>;
  /** Answers to the `valid` requests, by status and problem code: how far generated requests get. */
  validAnswers: Record<string, number>;
  failures: FuzzFailure[];
  slowestMs: number;
  /** Times an account logged in again because a fuzzed request had ended its session. */
  relogins: number;
}

type Counts = Record<string, number>;

/**
 * Fuzzes every operation of the OpenAPI document through the real gateway and services, as each
 * account: the deterministic sweep first (a body nested 2,000 levels deep and each prototype key,
 * on every route that takes a body), then `runs` requests generated from the schemas and broken
 * one way at a time. Fails on a 5xx, a 4xx that is not problem+json with a code, a 4xx that
 * changed a row count anywhere, or an answer slower than `maxMs`. Requests go one at a time, so a
 * change is the request's own; a change that may be another request's events arriving late is
 * checked again by sending the request once more once the system is quiet.
 */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const components: Record<string, Schema> = options.document.components?.schemas ?? {};
  const operations = operationsOf(options.document).filter((o) => !options.operation || o.id.includes(options.operation));
  const counter = await RowCounter.open(options.databases);
  const report: FuzzReport = { operations: operations.length, requests: 0, perOperation: {}, statuses: {}, kinds: {}, validAnswers: {}, failures: [], slowestMs: 0, relogins: 0 };
  try {
    let counts = await counter.settled();
    const run = async (operation: FuzzOperation, account: FuzzAccount, request: FuzzRequest, seed: number): Promise<void> => {
      let sent = await send(options.baseUrl, account, request);
      if (sent.status === 401 && account.login && !request.path.startsWith('/api/v1/identity/sessions')) {
        // The session ended (an earlier request of the campaign logged it out): log in again and send it once more.
        account.token = await account.login();
        report.relogins += 1;
        counts = await counter.counts();
        sent = await send(options.baseUrl, account, request);
      }
      report.requests += 1;
      report.perOperation[operation.id] = (report.perOperation[operation.id] ?? 0) + 1;
      report.statuses[`${Math.floor(sent.status / 100)}xx`] = (report.statuses[`${Math.floor(sent.status / 100)}xx`] ?? 0) + 1;
      report.kinds[request.kind] = (report.kinds[request.kind] ?? 0) + 1;
      report.slowestMs = Math.max(report.slowestMs, sent.ms);
      if (request.kind === 'valid') {
        const answer = `${sent.status}${sent.status >= 400 ? ` ${problemCode(sent) ?? ''}` : ''}`;
        report.validAnswers[answer] = (report.validAnswers[answer] ?? 0) + 1;
      }
      const fail = (why: string): void => {
        report.failures.push({ seed, account: account.name, operation: operation.id, request: { ...request, body: request.body?.slice(0, 500) }, status: sent.status, ms: Math.round(sent.ms), why, answer: sent.text.slice(0, 300) });
      };
      if (sent.status >= 500 || sent.status === 0) fail('a 5xx (or no answer)');
      else if (sent.status >= 400 && !isProblem(sent)) fail('a 4xx that is not problem+json with a code');
      if (sent.ms > options.maxMs) fail(`slower than ${options.maxMs} ms`);

      const after = await counter.counts();
      if (sent.status >= 400 && sent.status < 500 && !sameCounts(counts, after)) {
        // Maybe another request's events arrived meanwhile: send it again on a quiet system.
        const quiet = await counter.settled();
        const again = await send(options.baseUrl, account, { ...request, headers: withFreshIdempotencyKey(request.headers) });
        const afterAgain = await counter.counts();
        // An Idempotency-Key's record of the answer is not a change of anything (a retry gets the same answer).
        const changed = changedTables(quiet, afterAgain).filter((table) => !table.endsWith('.platform_idempotency'));
        if (again.status >= 400 && again.status < 500 && changed.length > 0 && !intended(options.intendedChanges ?? [], operation, again, changed)) {
          fail(`a 4xx that changed rows: ${describeChange(quiet, afterAgain, changed)}`);
        }
        counts = await counter.settled();
      } else if (!sameCounts(counts, after)) {
        // A change made by a 2xx: let what it set off elsewhere (events) land before the next request.
        counts = await counter.settled();
      }
    };

    // The sweep: every route that takes a body, as every account.
    for (const operation of operations.filter((o) => o.body && o.method !== 'GET' && o.method !== 'DELETE')) {
      const path = operation.path.replace(/\{[^}]+\}/g, () => options.ids[0] ?? randomUUID());
      // 2,000 levels overflowed the stack of class-transformer on some machines, 10,000 on every one.
      const bodies = [
        ...[deeplyNested(2_000), deeplyNested(10_000), `${'['.repeat(10_000)}${']'.repeat(10_000)}`].map((body) => ({ kind: 'deep-body', body })),
        ...PROTOTYPE_KEYS.map((key) => ({ kind: 'prototype-key', body: `{"${key}":{"admin":true}}` })),
      ];
      for (const account of options.accounts) {
        for (const { kind, body } of bodies) await run(operation, account, { kind, method: operation.method, path, headers: { 'content-type': 'application/json' }, body }, options.seed);
      }
    }

    // The generated requests.
    const pairs = operations.flatMap((operation) => options.accounts.map((account) => ({ operation, account })));
    const perPair = Math.max(1, Math.floor(options.runs / Math.max(1, pairs.length)));
    for (const { operation, account } of pairs) {
      const seed = seedOf(options.seed, operation.id, account.name);
      const requests = fc.sample(requestArbitrary(operation, components, options.ids), { seed, numRuns: perPair });
      for (const request of requests) await run(operation, account, request, seed);
    }
  } finally {
    await counter.close();
  }
  return report;
}

/** One reproducible seed per operation and account, from the run's seed. */
function seedOf(seed: number, operation: string, account: string): number {
  return createHash('sha256').update(`${seed}:${operation}:${account}`).digest().readInt32BE(0);
}

interface Sent {
  status: number;
  contentType: string;
  text: string;
  ms: number;
}

async function send(baseUrl: string, account: FuzzAccount, request: FuzzRequest): Promise<Sent> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${account.token}`, 'idempotency-key': randomUUID(), ...request.headers };
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers, body: request.body, signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, ms: performance.now() - started };
  } catch (error) {
    return { status: 0, contentType: '', text: error instanceof Error ? error.message : String(error), ms: performance.now() - started };
  }
}

function withFreshIdempotencyKey(headers: Record<string, string>): Record<string, string> {
  return { ...headers, 'idempotency-key': randomUUID() };
}

function problemCode(sent: Sent): string | undefined {
  try {
    const code = (JSON.parse(sent.text) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function isProblem(sent: Sent): boolean {
  if (!sent.contentType.startsWith('application/problem+json')) return false;
  try {
    const body = JSON.parse(sent.text) as { code?: unknown; status?: unknown };
    return typeof body.code === 'string' && body.code.length > 0 && body.status === sent.status;
  } catch {
    return false;
  }
}

function sameCounts(a: Counts, b: Counts): boolean {
  return Object.keys({ ...a, ...b }).every((k) => a[k] === b[k]);
}

function changedTables(before: Counts, after: Counts): string[] {
  return Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
}

function intended(allowed: IntendedChange[], operation: FuzzOperation, sent: Sent, tables: string[]): boolean {
  let code: unknown;
  try {
    code = (JSON.parse(sent.text) as { code?: unknown }).code;
  } catch {
    return false;
  }
  return allowed.some((a) => a.operation === operation.id && a.code === code && tables.every((t) => a.tables.includes(t)));
}

function describeChange(before: Counts, after: Counts, tables: string[]): string {
  return tables
    .map((k) => `${k} ${before[k] ?? 0}→${after[k] ?? 0}`)
    .join(', ');
}

/** Row counts of every table of every database, one query per database. */
class RowCounter {
  private constructor(private readonly databases: { name: string; pool: Pool; sql: string }[]) {}

  static async open(databases: FuzzDatabase[]): Promise<RowCounter> {
    const opened = await Promise.all(
      databases.map(async ({ name, url }) => {
        const pool = new Pool({ connectionString: url, max: 1 });
        const tables = (await pool.query<{ t: string }>(`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)).rows;
        const sql = tables.length > 0 ? `SELECT ${tables.map(({ t }) => `(SELECT count(*)::int FROM ${t}) AS "${t.replace(/"/g, '')}"`).join(', ')}` : 'SELECT 1 AS none';
        return { name, pool, sql };
      }),
    );
    return new RowCounter(opened);
  }

  async counts(): Promise<Counts> {
    const rows = await Promise.all(this.databases.map(async (db) => ({ db, row: (await db.pool.query<Record<string, number>>(db.sql)).rows[0]! })));
    const counts: Counts = {};
    for (const { db, row } of rows) for (const [table, n] of Object.entries(row)) counts[`${db.name}.${table}`] = n;
    return counts;
  }

  /** Counts once they have stopped moving (two reads 150 ms apart agree), or after 5 s. */
  async settled(): Promise<Counts> {
    const deadline = Date.now() + 5_000;
    let last = await this.counts();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const next = await this.counts();
      if (sameCounts(last, next) || Date.now() > deadline) return next;
      last = next;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.databases.map((db) => db.pool.end()));
  }
}

/** The report as a few lines for a person: totals, then the failures with how to replay them. */
export function describeFuzzReport(report: FuzzReport, seed: number): string {
  const lines = [
    `fuzz seed ${seed}: ${report.requests} requests over ${report.operations} operations (${Object.values(report.perOperation).length > 0 ? Math.min(...Object.values(report.perOperation)) : 0}–${Math.max(0, ...Object.values(report.perOperation))} per operation), slowest ${Math.round(report.slowestMs)} ms, ${report.relogins} new logins after a fuzzed request ended a session`,
    `answers: ${JSON.stringify(report.statuses)}; kinds: ${JSON.stringify(report.kinds)}`,
    `valid requests' answers (the most common): ${JSON.stringify(Object.fromEntries(Object.entries(report.validAnswers).sort((a, b) => b[1] - a[1]).slice(0, 12)))}`,
  ];
  for (const f of report.failures.slice(0, 20)) {
    lines.push(`FAIL ${f.why}: ${f.request.method} ${f.request.path.slice(0, 200)} as ${f.account} (kind ${f.request.kind}, seed ${f.seed}) → ${f.status} in ${f.ms} ms ${f.answer.slice(0, 200)}`);
    if (f.request.body !== undefined) lines.push(`     body (${f.request.headers['content-type'] ?? 'no content type'}): ${f.request.body.slice(0, 300)}`);
  }
  if (report.failures.length > 20) lines.push(`… and ${report.failures.length - 20} more failures`);
  return lines.join('\n');
}
