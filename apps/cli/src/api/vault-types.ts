/** The vault's batch resources as the CLI reads them (`/api/v1/vault/batches…`). */

export type BatchStatus = 'receiving' | 'completed' | 'failed';
export const TERMINAL_STATUSES: readonly BatchStatus[] = ['completed', 'failed'];

export const REFUSAL_REASONS = ['bad_format', 'duplicate_in_batch', 'duplicate_in_vault', 'expired'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface BatchFailure {
  code: string;
  detail: string;
}

export interface Batch {
  id: string;
  offerId: string;
  status: BatchStatus;
  source: 'json' | 'csv';
  fileName: string | null;
  linesReceived: number;
  accepted: number;
  /** Refused lines per reason; a reason the CLI does not know yet is kept and shown too. */
  refused: Record<RefusalReason, number> & Record<string, number>;
  failure: BatchFailure | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface Refusal {
  /** 1-based line number in the uploaded file. */
  line: number;
  reason: RefusalReason | string;
  /** The offending field, for `bad_format`. */
  field?: string;
  /** The line this one repeats, for `duplicate_in_batch`. */
  firstLine?: number;
}

export interface RefusalPage {
  items: Refusal[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function isTerminal(batch: Pick<Batch, 'status'>): boolean {
  return TERMINAL_STATUSES.includes(batch.status);
}

export function totalRefused(batch: Pick<Batch, 'refused'>): number {
  return Object.values(batch.refused).reduce((sum, count) => sum + (Number.isFinite(count) ? count : 0), 0);
}

/** Checks the shape the CLI relies on and fills absent counters with 0; throws a TypeError otherwise. */
export function parseBatch(value: unknown): Batch {
  if (typeof value !== 'object' || value === null) throw new TypeError('the batch is not a JSON object');
  const raw = value as Record<string, unknown>;
  if (typeof raw.id !== 'string' || !raw.id) throw new TypeError('the batch has no id');
  if (typeof raw.status !== 'string') throw new TypeError('the batch has no status');
  const refusedRaw = typeof raw.refused === 'object' && raw.refused !== null ? (raw.refused as Record<string, unknown>) : {};
  const refused = Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, 0])) as Batch['refused'];
  for (const [reason, count] of Object.entries(refusedRaw)) refused[reason] = toCount(count);
  const failureRaw = raw.failure as Record<string, unknown> | null | undefined;
  return {
    ...(raw as object),
    id: raw.id,
    offerId: String(raw.offerId ?? ''),
    status: raw.status as BatchStatus,
    source: raw.source === 'json' ? 'json' : 'csv',
    fileName: typeof raw.fileName === 'string' ? raw.fileName : null,
    linesReceived: toCount(raw.linesReceived),
    accepted: toCount(raw.accepted),
    refused,
    failure:
      failureRaw && typeof failureRaw === 'object'
        ? { code: String(failureRaw.code ?? 'unknown'), detail: String(failureRaw.detail ?? '') }
        : null,
    createdAt: String(raw.createdAt ?? ''),
    finishedAt: typeof raw.finishedAt === 'string' ? raw.finishedAt : null,
  };
}

export function parseRefusalPage(value: unknown): RefusalPage {
  if (typeof value !== 'object' || value === null) throw new TypeError('the refusal page is not a JSON object');
  const raw = value as Record<string, unknown>;
  if (!Array.isArray(raw.items)) throw new TypeError('the refusal page has no items');
  const items = raw.items.map((item): Refusal => {
    const entry = (item ?? {}) as Record<string, unknown>;
    return {
      line: toCount(entry.line),
      reason: String(entry.reason ?? 'unknown'),
      ...(typeof entry.field === 'string' ? { field: entry.field } : {}),
      ...(typeof entry.firstLine === 'number' ? { firstLine: entry.firstLine } : {}),
    };
  });
  return { items, nextCursor: typeof raw.nextCursor === 'string' && raw.nextCursor ? raw.nextCursor : null };
}

function toCount(value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(number) && number >= 0 ? Math.trunc(number) : 0;
}
