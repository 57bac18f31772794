import type { VaultCrypto } from '../../crypto/vault-crypto';
import type { LineField, RefusalReason } from '../batch.dto';
import { FingerprintSet } from './fingerprint-set';
import type { LineChecker, RawLine } from './line-checker';

/** The part of pg the writer needs: a pool (each chunk statement takes a connection while it runs) or one client. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The batch a writer writes to; `workerId` must be the one the batch row names. */
export interface IngestTarget {
  batchId: string;
  offerId: string;
  workerId: string;
  dataKey: Buffer;
}

/** The batch is no longer this process's to write: it was failed meanwhile (recovered as stale). */
export class BatchLostError extends Error {
  constructor(readonly batchId: string) {
    super(`batch ${batchId} is no longer receiving in this process`);
    this.name = 'BatchLostError';
  }
}

export interface IngestCounts {
  linesReceived: number;
  accepted: number;
  refused: Record<RefusalReason, number>;
}

interface Refusal {
  line: number;
  reason: RefusalReason;
  field: LineField | null;
  firstLine: number | null;
}

/** Counts of a chunk, carried from its parameters to the result of its statement. */
interface ChunkCounts {
  linesReceived: number;
  badFormat: number;
  expired: number;
  duplicateInBatch: number;
}

const FINGERPRINT_BYTES = 32;
const DEADLOCK = '40P01';
/** Room per line for sealed secrets to start with (a code with a PIN seals to about 60 bytes); it grows when needed. */
const SLAB_BYTES_PER_LINE = 96;
/** Room for one sealed secret at most (a line's fields are limited far below this). */
const MAX_SECRET_BYTES = 16 * 1024;
const MAX_ATTEMPTS = 3;
/**
 * Chunk statements handed to PostgreSQL and not yet answered. Two: the next chunk is queued at
 * the batch row's lock while this one commits, so preparing never waits for a round trip
 * (bench:ingest: Node's thread went from ~80% busy to ~100%).
 */
const MAX_WRITES_IN_FLIGHT = 2;

/**
 * The accepted lines of the chunk being prepared, column by column in typed arrays and two byte
 * slabs (fingerprints, sealed secrets): no object per line outlives the line's own handling, so
 * the garbage a million lines make dies young and cheap, and nothing per line reaches the old
 * generation while a chunk waits for PostgreSQL. Reused from chunk to chunk.
 */
class AcceptedRows {
  count = 0;
  readonly lines: Int32Array;
  /** The fingerprint's first 4 bytes, big-endian: rows are written in fingerprint order. */
  readonly order: Uint32Array;
  readonly expiresAt: Float64Array;
  readonly secretAt: Uint32Array;
  readonly secretLength: Uint32Array;
  readonly fingerprints: Buffer;
  secrets: Buffer;
  secretsUsed = 0;

  constructor(readonly capacity: number) {
    this.lines = new Int32Array(capacity);
    this.order = new Uint32Array(capacity);
    this.expiresAt = new Float64Array(capacity);
    this.secretAt = new Uint32Array(capacity);
    this.secretLength = new Uint32Array(capacity);
    this.fingerprints = Buffer.alloc(capacity * FINGERPRINT_BYTES);
    this.secrets = Buffer.alloc(capacity * SLAB_BYTES_PER_LINE);
  }

  /** Makes room for `bytes` more secret bytes. */
  reserveSecret(bytes: number): void {
    if (this.secretsUsed + bytes <= this.secrets.length) return;
    const bigger = Buffer.alloc(Math.max(this.secrets.length * 2, this.secretsUsed + bytes));
    this.secrets.copy(bigger, 0, 0, this.secretsUsed);
    this.secrets.fill(0);
    this.secrets = bigger;
  }

  /** Forgets the rows (the secrets' bytes are wiped: sealed, but no need to keep them). */
  clear(): void {
    this.secrets.fill(0, 0, this.secretsUsed);
    this.count = 0;
    this.secretsUsed = 0;
  }
}

/**
 * One statement per chunk, atomic: takes the batch row's lock (only while the batch is still
 * receiving and ours: a batch recovered meanwhile takes nothing more), inserts the chunk's codes,
 * letting the unique index on fingerprint find codes already in the vault (any supplier, any
 * offer) without a lookup first, reports those as duplicate_in_vault (whoever holds them: the
 * report never tells), records those another supplier holds for operators (duplicate_signal),
 * writes the chunk's other refusals and moves the batch's counters and heartbeat. (Data-modifying CTEs always run to
 * completion, read or not; none of them writes anything when b found no batch.) A code
 * counts as already in the vault whatever the state of the batch holding it, even one still
 * receiving: the first upload to store a code keeps it.
 */
const WRITE_CHUNK = `
WITH b AS (
  SELECT id, supplier_id FROM batch WHERE id = $1 AND status = 'receiving' AND worker_id = $2 FOR UPDATE
), input AS (
  SELECT decode(t.f, 'base64') AS fingerprint, decode(t.s, 'base64') AS secret,
         NULLIF(t.e, '-')::timestamptz AS expires_at, t.l::int AS line
    FROM unnest(string_to_array($4, ','), string_to_array($5, ','), string_to_array($6, ','), string_to_array($7, ',')) AS t(f, s, e, l)
   WHERE EXISTS (SELECT 1 FROM b)
), inserted AS (
  INSERT INTO code (offer_id, batch_id, fingerprint, secret, expires_at)
  SELECT $3, $1, fingerprint, secret, expires_at FROM input
  ON CONFLICT (fingerprint) DO NOTHING
  RETURNING fingerprint
), in_vault AS (
  INSERT INTO batch_refusal (batch_id, line, reason)
  SELECT $1, i.line, 'duplicate_in_vault' FROM input i
   WHERE NOT EXISTS (SELECT 1 FROM inserted x WHERE x.fingerprint = i.fingerprint)
  RETURNING line
), foreign_holder AS (
  INSERT INTO duplicate_signal (batch_id, line, supplier_id, holder_code_id, holder_offer_id, holder_supplier_id)
  SELECT $1, i.line, b.supplier_id, c.id, c.offer_id, hb.supplier_id
    FROM input i CROSS JOIN b
    JOIN code c ON c.fingerprint = i.fingerprint
    JOIN batch hb ON hb.id = c.batch_id
   WHERE NOT EXISTS (SELECT 1 FROM inserted x WHERE x.fingerprint = i.fingerprint) AND hb.supplier_id <> b.supplier_id
  ON CONFLICT (batch_id, line) DO NOTHING
  RETURNING line
), other AS (
  INSERT INTO batch_refusal (batch_id, line, reason, field, first_line)
  SELECT $1, r.line, r.reason, r.field, r.first_line
    FROM unnest($8::int[], $9::text[], $10::text[], $11::int[]) AS r(line, reason, field, first_line)
   WHERE EXISTS (SELECT 1 FROM b)
  RETURNING line
)
UPDATE batch SET
  lines_received = GREATEST(lines_received, $12),
  accepted = accepted + (SELECT count(*) FROM inserted),
  refused_duplicate_in_vault = refused_duplicate_in_vault + (SELECT count(*) FROM in_vault),
  refused_bad_format = refused_bad_format + $13,
  refused_expired = refused_expired + $14,
  refused_duplicate_in_batch = refused_duplicate_in_batch + $15,
  heartbeat_at = now()
WHERE id = (SELECT id FROM b)
RETURNING accepted, refused_duplicate_in_vault`;

/**
 * Checks, fingerprints, de-duplicates and seals a batch's lines, and writes them to PostgreSQL in
 * chunks (one statement per chunk, see WRITE_CHUNK). Pipelined: while PostgreSQL inserts, the
 * next chunk is prepared here; at most MAX_WRITES_IN_FLIGHT inserts are in flight, so memory stays
 * bounded whatever the batch's size. Plaintext lives only in the line being handled: what is kept is its
 * fingerprint and sealed secret.
 *
 * Within-batch duplicates are found in memory: the fingerprints seen so far with the line each
 * was first seen on (FingerprintSet: about 40 MB, off the heap, for a million codes).
 */
export class IngestWriter {
  private readonly seen = new FingerprintSet();
  private readonly rows: AcceptedRows;
  private refusals: Refusal[] = [];
  private counts_: ChunkCounts = { linesReceived: 0, badFormat: 0, expired: 0, duplicateInBatch: 0 };
  private inFlight: Promise<void>[] = [];
  private failure: unknown = null;
  private linesReceived = 0;
  private written = { accepted: 0, duplicateInVault: 0, badFormat: 0, expired: 0, duplicateInBatch: 0, lines: 0 };

  constructor(
    private readonly client: SqlClient,
    private readonly crypto: VaultCrypto,
    private readonly target: IngestTarget,
    private readonly checker: LineChecker,
    private readonly chunkLines = 5_000,
  ) {
    this.rows = new AcceptedRows(chunkLines);
  }

  /** Data lines taken so far (accepted or refused), written or not. */
  get lines(): number {
    return this.linesReceived;
  }

  /**
   * Takes one data line (`line` as the supplier sees it). Returns a promise only when a chunk was
   * handed to PostgreSQL and the previous one is still being written: the caller awaits it
   * (which is the backpressure on the upload); otherwise undefined, to keep the per-line cost low.
   */
  add(line: number, raw: RawLine): Promise<void> | undefined {
    this.linesReceived++;
    this.counts_.linesReceived = this.linesReceived;
    const verdict = this.checker.check(raw);
    if (!verdict.ok) {
      this.refuse(line, verdict.reason, verdict.reason === 'bad_format' ? verdict.field : null, null);
    } else {
      const fingerprint = this.crypto.fingerprint(verdict.credential.code);
      const firstLine = this.seen.firstLineOrAdd(fingerprint, line);
      if (firstLine !== 0) {
        this.refuse(line, 'duplicate_in_batch', null, firstLine);
      } else {
        const rows = this.rows;
        const i = rows.count++;
        rows.lines[i] = line;
        rows.order[i] = fingerprint.readUInt32BE(0);
        rows.expiresAt[i] = verdict.expiresAt ? verdict.expiresAt.getTime() : Number.NaN;
        fingerprint.copy(rows.fingerprints, i * FINGERPRINT_BYTES);
        let length = this.crypto.sealInto(this.target.dataKey, fingerprint, verdict.credential, rows.secrets, rows.secretsUsed);
        if (length < 0) {
          rows.reserveSecret(MAX_SECRET_BYTES);
          length = this.crypto.sealInto(this.target.dataKey, fingerprint, verdict.credential, rows.secrets, rows.secretsUsed);
          if (length < 0) throw new Error(`the sealed credential of line ${line} is larger than ${MAX_SECRET_BYTES} bytes`);
        }
        rows.secretAt[i] = rows.secretsUsed;
        rows.secretLength[i] = length;
        rows.secretsUsed += length;
      }
    }
    return this.rows.count + this.refusals.length >= this.chunkLines ? this.flush() : undefined;
  }

  /** Takes a data line that is refused before any check (e.g. a CSV line with more cells than columns: bad_format without a field). */
  addRefusal(line: number, reason: 'bad_format' | 'expired', field: LineField | null): Promise<void> | undefined {
    this.linesReceived++;
    this.counts_.linesReceived = this.linesReceived;
    this.refuse(line, reason, field, null);
    return this.rows.count + this.refusals.length >= this.chunkLines ? this.flush() : undefined;
  }

  private refuse(line: number, reason: RefusalReason, field: LineField | null, firstLine: number | null): void {
    this.refusals.push({ line, reason, field, firstLine });
    if (reason === 'bad_format') this.counts_.badFormat++;
    else if (reason === 'expired') this.counts_.expired++;
    else if (reason === 'duplicate_in_batch') this.counts_.duplicateInBatch++;
  }

  /** Hands the current chunk to PostgreSQL, once fewer than MAX_WRITES_IN_FLIGHT are being written. */
  async flush(): Promise<void> {
    while (this.inFlight.length >= MAX_WRITES_IN_FLIGHT) await this.inFlight.shift();
    if (this.failure !== null) throw this.failure;
    const counts = this.counts_;
    if (this.rows.count === 0 && this.refusals.length === 0 && counts.linesReceived === this.written.lines) return;
    // The statement's parameters are copies: the rows' arrays are free for the next chunk at once.
    const params = this.parameters(counts);
    this.rows.clear();
    this.refusals = [];
    this.counts_ = { linesReceived: this.linesReceived, badFormat: 0, expired: 0, duplicateInBatch: 0 };
    this.inFlight.push(
      this.write(params, counts).then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= error;
        },
      ),
    );
  }

  /** Writes what is left and waits for it: every line taken so far is then in PostgreSQL. */
  async finish(): Promise<IngestCounts> {
    await this.flush();
    await this.settle();
    return this.counts();
  }

  /** Waits for the inserts in flight (if any) without writing more; rethrows a failure. */
  async settle(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
    if (this.failure !== null) throw this.failure;
  }

  /** What PostgreSQL holds for this batch so far (lines whose chunk is written). */
  counts(): IngestCounts {
    const w = this.written;
    return {
      linesReceived: w.lines,
      accepted: w.accepted,
      refused: { bad_format: w.badFormat, duplicate_in_batch: w.duplicateInBatch, duplicate_in_vault: w.duplicateInVault, expired: w.expired },
    };
  }

  private parameters(counts: ChunkCounts): unknown[] {
    const rows = this.rows;
    const fp = rows.fingerprints;
    // The same order in every batch, so two batches inserting the same codes at once take the
    // unique index's locks in the same order (no deadlock between them).
    const byFingerprint = Array.from({ length: rows.count }, (_, i) => i).sort(
      (a, b) =>
        rows.order[a]! - rows.order[b]! ||
        fp.compare(fp, b * FINGERPRINT_BYTES, (b + 1) * FINGERPRINT_BYTES, a * FINGERPRINT_BYTES, (a + 1) * FINGERPRINT_BYTES),
    );
    const fingerprints: string[] = [];
    const secrets: string[] = [];
    const expiries: string[] = [];
    const lines: number[] = [];
    for (const i of byFingerprint) {
      fingerprints.push(fp.toString('base64', i * FINGERPRINT_BYTES, (i + 1) * FINGERPRINT_BYTES));
      secrets.push(rows.secrets.toString('base64', rows.secretAt[i], rows.secretAt[i]! + rows.secretLength[i]!));
      const expiresAt = rows.expiresAt[i]!;
      expiries.push(Number.isNaN(expiresAt) ? '-' : new Date(expiresAt).toISOString());
      lines.push(rows.lines[i]!);
    }
    const r = this.refusals;
    return [
      this.target.batchId,
      this.target.workerId,
      this.target.offerId,
      fingerprints.join(','),
      secrets.join(','),
      expiries.join(','),
      lines.join(','),
      r.map((x) => x.line),
      r.map((x) => x.reason),
      r.map((x) => x.field),
      r.map((x) => x.firstLine),
      counts.linesReceived,
      counts.badFormat,
      counts.expired,
      counts.duplicateInBatch,
    ];
  }

  private async write(params: unknown[], chunk: ChunkCounts): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.query(WRITE_CHUNK, params);
        const row = result.rows[0] as { accepted: number; refused_duplicate_in_vault: number } | undefined;
        if (!row) throw new BatchLostError(this.target.batchId);
        // Two chunks may answer in either order: the batch row's totals only grow.
        const w = this.written;
        this.written = {
          accepted: Math.max(w.accepted, row.accepted),
          duplicateInVault: Math.max(w.duplicateInVault, row.refused_duplicate_in_vault),
          badFormat: w.badFormat + chunk.badFormat,
          expired: w.expired + chunk.expired,
          duplicateInBatch: w.duplicateInBatch + chunk.duplicateInBatch,
          lines: Math.max(w.lines, chunk.linesReceived),
        };
        return;
      } catch (error) {
        // A deadlock rolls the whole statement back: the chunk is simply written again.
        if ((error as { code?: string }).code !== DEADLOCK || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
