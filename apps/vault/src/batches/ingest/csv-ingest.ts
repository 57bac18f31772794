import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import type { CodeFormat } from '../../catalog-projection/catalog-projection.service';
import type { VaultCrypto } from '../../crypto/vault-crypto';
import { BatchFailureCode } from '../batch.errors';
import { IngestWriter, type IngestCounts, type IngestTarget, type SqlClient } from './ingest-writer';
import { LineChecker, type RawLine } from './line-checker';

/** Why a batch could not be ingested as a whole (the batch then fails; see BatchFailureCode). */
export interface IngestFailure {
  code: BatchFailureCode;
  /** In words; never any line's content. */
  detail: string;
}

/** The client's upload stopped before its end. */
export class UploadAbortedError extends Error {
  constructor() {
    super('the upload was aborted by the client');
    this.name = 'UploadAbortedError';
  }
}

/** The CSV columns, in the order they have when the file has no header row. */
export const CSV_COLUMNS = ['code', 'pin', 'serial', 'redemption_url', 'expires_at'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const FIELD_OF: Record<CsvColumn, keyof RawLine> = { code: 'code', pin: 'pin', serial: 'serial', redemption_url: 'redemptionUrl', expires_at: 'expiresAt' };

/** Longest CSV record the reader accepts (a line's fields are far shorter; this only stops runaway input). */
export const MAX_CSV_RECORD_CHARS = 16 * 1024;

/** Column index of each field (-1: absent), and how many columns the file has. */
interface Layout {
  code: number;
  pin: number;
  serial: number;
  redemptionUrl: number;
  expiresAt: number;
  width: number;
}

const DEFAULT_LAYOUT: Layout = { code: 0, pin: 1, serial: 2, redemptionUrl: 3, expiresAt: 4, width: CSV_COLUMNS.length };

/**
 * The header row, when the file's first non-blank record is one: a record with a cell `code`
 * (any case). Its cells name the columns (from CSV_COLUMNS, each at most once; an unnamed column
 * must stay empty). Undefined when the first record is data.
 */
function readHeader(cells: string[]): { layout: Layout } | { failure: IngestFailure } | undefined {
  const names = cells.map((cell) => cell.trim().toLowerCase());
  if (!names.includes('code')) return undefined;
  const layout: Layout = { code: -1, pin: -1, serial: -1, redemptionUrl: -1, expiresAt: -1, width: names.length };
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === '') continue;
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      return { failure: { code: BatchFailureCode.BadHeader, detail: `Column ${i + 1} of the header row is not one of ${CSV_COLUMNS.join(', ')}.` } };
    }
    const field = FIELD_OF[name as CsvColumn];
    if (layout[field] !== -1) return { failure: { code: BatchFailureCode.BadHeader, detail: `The header row names the column ${name} twice.` } };
    layout[field] = i;
  }
  return { layout };
}

const cell = (cells: string[], index: number): string | undefined => (index < 0 ? undefined : cells[index]);

function isBlank(cells: string[]): boolean {
  for (const c of cells) if (c.length > 0 && c.trim() !== '') return false;
  return true;
}

/** A non-empty cell outside the named columns. */
function hasStrayCell(cells: string[], layout: Layout): boolean {
  if (layout === DEFAULT_LAYOUT) {
    for (let i = layout.width; i < cells.length; i++) if (cells[i]!.trim() !== '') return true;
    return false;
  }
  for (let i = 0; i < cells.length; i++) {
    if (i === layout.code || i === layout.pin || i === layout.serial || i === layout.redemptionUrl || i === layout.expiresAt) continue;
    if (cells[i]!.trim() !== '') return true;
  }
  return false;
}

/** Line breaks inside quoted fields, so a record is numbered by the line it starts on. */
function breaksInside(cells: string[]): number {
  let breaks = 0;
  for (const c of cells) {
    if (c.indexOf('\n') < 0 && c.indexOf('\r') < 0) continue;
    breaks += c.replace(/\r\n/g, '\n').split(/[\n\r]/).length - 1;
  }
  return breaks;
}

function csvFailure(error: unknown): IngestFailure {
  if (error instanceof UploadAbortedError) {
    return { code: BatchFailureCode.UploadAborted, detail: 'The upload stopped before the end of the file (the connection was closed); nothing of this batch was kept.' };
  }
  const csv = error as Partial<CsvError> & { lines?: unknown };
  if (typeof csv.code === 'string' && (csv.code.startsWith('CSV_') || csv.code === 'INVALID_OPENING_QUOTE')) {
    const where = typeof csv.lines === 'number' ? ` at line ${csv.lines}` : '';
    if (csv.code === 'CSV_MAX_RECORD_SIZE') {
      return { code: BatchFailureCode.LineTooLong, detail: `A line${where} is longer than ${MAX_CSV_RECORD_CHARS} characters (or a quote is never closed).` };
    }
    // The reader's own message may quote the line: only its code and the line number go out.
    return { code: BatchFailureCode.UnparseableCsv, detail: `The file is not readable as CSV${where} (${csv.code}).` };
  }
  throw error;
}

const tooManyLines = (maxLines: number, line: number): IngestFailure => ({
  code: BatchFailureCode.TooManyLines,
  detail: `The file has more than ${maxLines} lines besides the header, blank ones included (line ${line} is one too many); split it into several batches.`,
});

/**
 * Reads a CSV upload as it arrives and hands each data line to the writer: csv-parse in
 * streaming mode (the body is never held whole), with backpressure (when the writer has a chunk
 * in PostgreSQL and the next one is ready, reading pauses, and so does the upload).
 *
 * Format: UTF-8 with or without BOM; an optional header row (see readHeader), else the columns
 * code,pin,serial,redemption_url,expires_at in that order; blank lines skipped but counted, so
 * lines are numbered as in the file (the header is line 1). At most `maxLines` lines besides the
 * header, blank and whitespace-only ones included (else an endless body of them is never refused).
 *
 * Returns null when the whole file was read, or why the batch must fail. Either way every line
 * taken is handed to the writer (the caller finishes or abandons it).
 */
export async function feedCsv(source: Readable, writer: IngestWriter, maxLines: number): Promise<IngestFailure | null> {
  // Empty lines are not skipped by the reader: every line then yields exactly one record (a
  // blank one yields ['']), so lines are counted here as the supplier sees them, without the
  // reader's per-record info objects (a third of its cost).
  const parser = parse({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_CSV_RECORD_CHARS,
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  const onSourceError = (): void => {
    parser.destroy(new UploadAbortedError());
  };
  const onSourceClose = (): void => {
    if (!source.readableEnded) parser.destroy(new UploadAbortedError());
  };
  source.once('error', onSourceError);
  source.once('close', onSourceClose);
  source.pipe(parser);

  let layout: Layout | undefined;
  /** Lines other than the header: data lines and blank ones. */
  let counted = 0;
  let nextLine = 1;
  const stop = (failure: IngestFailure): IngestFailure => {
    source.unpipe(parser);
    parser.destroy();
    return failure;
  };
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      const line = nextLine;
      nextLine += 1 + breaksInside(cells);
      if (isBlank(cells)) {
        // Blank lines count toward the limit: skipped for free, they would let a body run on without end.
        if (++counted > maxLines) return stop(tooManyLines(maxLines, line));
        continue;
      }
      if (layout === undefined) {
        const header = readHeader(cells);
        if (header && 'failure' in header) return stop(header.failure);
        if (header) {
          layout = header.layout;
          continue;
        }
        layout = DEFAULT_LAYOUT;
      }
      if (++counted > maxLines) return stop(tooManyLines(maxLines, line));
      if (hasStrayCell(cells, layout)) {
        const pending = writer.addRefusal(line, 'bad_format', null);
        if (pending) await pending;
        continue;
      }
      const pending = writer.add(line, {
        code: cell(cells, layout.code),
        pin: cell(cells, layout.pin),
        serial: cell(cells, layout.serial),
        redemptionUrl: cell(cells, layout.redemptionUrl),
        expiresAt: cell(cells, layout.expiresAt),
      });
      if (pending) await pending;
    }
    return null;
  } catch (error) {
    source.unpipe(parser);
    return csvFailure(error);
  } finally {
    source.off('error', onSourceError);
    source.off('close', onSourceClose);
  }
}

export interface CsvIngestInput {
  /** Where the chunk statements go: a pg pool or client (at most one statement in flight). */
  client: SqlClient;
  crypto: VaultCrypto;
  /** The batch (status receiving, worker_id = target.workerId) and its data key. */
  target: IngestTarget;
  format: CodeFormat;
  source: Readable;
  maxLines: number;
  chunkLines?: number;
  /** Expiry is judged against this instant (default: now). */
  now?: Date;
}

export interface CsvIngestResult {
  /** What PostgreSQL holds for the batch (every line read, when there is no failure). */
  counts: IngestCounts;
  failure: IngestFailure | null;
}

/**
 * Ingests a CSV stream into a receiving batch: parse, check, fingerprint, de-duplicate, seal,
 * insert (see IngestWriter). It neither completes nor fails the batch: the caller does that in
 * its own transaction (BatchIngest). Also the entry point of the ingest benchmark.
 */
export async function ingestCsvStream(input: CsvIngestInput): Promise<CsvIngestResult> {
  const writer = new IngestWriter(input.client, input.crypto, input.target, new LineChecker(input.format, input.now), input.chunkLines);
  const failure = await feedCsv(input.source, writer, input.maxLines);
  if (failure) {
    // The chunk in flight (if any) is let finish so nothing writes after the batch fails.
    await writer.settle().catch(() => undefined);
    return { counts: writer.counts(), failure };
  }
  return { counts: await writer.finish(), failure: null };
}
