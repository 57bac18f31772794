/**
 * Pure text formatting for batches, refusals and API errors: no I/O, so every line the CLI prints
 * about a batch is tested here. Colour is passed in (off for NO_COLOR and when not a terminal).
 */
import type { ApiError } from '../api/kami-api-client';
import { REFUSAL_REASONS, totalRefused, type Batch, type Refusal } from '../api/vault-types';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const ansi =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

export const PLAIN: Style = { bold: (t) => t, dim: (t) => t, green: (t) => t, red: (t) => t, yellow: (t) => t };
export const COLOURED: Style = { bold: ansi(1, 22), dim: ansi(2, 22), green: ansi(32, 39), red: ansi(31, 39), yellow: ansi(33, 39) };

export function styleFor(colour: boolean): Style {
  return colour ? COLOURED : PLAIN;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function statusText(status: string, style: Style): string {
  if (status === 'completed') return style.green(status);
  if (status === 'failed') return style.red(status);
  return style.yellow(status);
}

/** What a refusal means in a few words: the field for bad_format, the first line for a repeat. */
export function refusalDetail(refusal: Refusal): string {
  const parts: string[] = [];
  if (refusal.field) parts.push(`field ${refusal.field}`);
  if (refusal.firstLine !== undefined) parts.push(`repeats line ${refusal.firstLine}`);
  return parts.join(', ');
}

/** A table of refusals: line, reason, detail. */
export function formatRefusalRows(refusals: Refusal[], style: Style = PLAIN, withHeader = true): string[] {
  const lineWidth = Math.max(4, ...refusals.map((r) => String(r.line).length));
  const reasonWidth = Math.max(6, ...refusals.map((r) => r.reason.length));
  const row = (line: string, reason: string, detail: string): string => `  ${line.padStart(lineWidth)}  ${reason.padEnd(reasonWidth)}  ${detail}`.trimEnd();
  const rows = refusals.map((r) => row(String(r.line), r.reason, refusalDetail(r)));
  return withHeader ? [style.dim(row('line', 'reason', 'detail')), ...rows] : rows;
}

export interface SummaryOptions {
  style?: Style;
  /** The first refusals (from `GET …/refusals?limit=N`), listed under the counts. */
  refusals?: Refusal[];
  /** Whether more refusals exist than those listed. */
  moreRefusals?: boolean;
}

/**
 * The report of a batch: status, counts, refused lines per reason, the failure if any and the
 * first refusals. Used at the end of `kami batches upload` and by `kami batches show`.
 */
export function formatBatchSummary(batch: Batch, options: SummaryOptions = {}): string {
  const style = options.style ?? PLAIN;
  const refused = totalRefused(batch);
  const reasons = [
    ...REFUSAL_REASONS,
    ...Object.keys(batch.refused).filter((reason) => !(REFUSAL_REASONS as readonly string[]).includes(reason) && batch.refused[reason]! > 0),
  ];
  const numberWidth = Math.max(...[batch.linesReceived, batch.accepted, refused].map((n) => formatCount(n).length));
  const labelWidth = Math.max(16, ...reasons.map((reason) => reason.length + 2));
  const line = (label: string, value: string): string => `  ${label.padEnd(labelWidth)}  ${value}`;
  const count = (value: number): string => formatCount(value).padStart(numberWidth);

  const lines = [`${style.bold(`batch ${batch.id}`)}  ${statusText(batch.status, style)}`];
  lines.push(line('offer', batch.offerId));
  if (batch.fileName) lines.push(line('file', batch.fileName));
  if (batch.failure) lines.push(line('failure', style.red(`${batch.failure.code}: ${batch.failure.detail}`)));
  lines.push(line('lines received', count(batch.linesReceived)));
  lines.push(line('accepted', style.green(count(batch.accepted))));
  lines.push(line('refused', refused > 0 ? style.yellow(count(refused)) : count(refused)));
  for (const reason of reasons) lines.push(line(`  ${reason}`, count(batch.refused[reason] ?? 0)));
  const took = batch.finishedAt && batch.createdAt ? Date.parse(batch.finishedAt) - Date.parse(batch.createdAt) : NaN;
  if (Number.isFinite(took)) lines.push(line('took', formatDuration(took)));
  if (batch.status === 'failed') lines.push('', 'The batch failed as a whole: none of its codes are available. Fix the cause and upload the file again.');

  const refusals = options.refusals ?? [];
  if (refusals.length > 0) {
    const heading = options.moreRefusals
      ? `first ${refusals.length} of ${formatCount(refused)} refused lines:`
      : `refused lines (${formatCount(refusals.length)}):`;
    lines.push('', heading, ...formatRefusalRows(refusals, style));
    if (options.moreRefusals) lines.push(style.dim(`  … all of them: kami batches report ${batch.id} --all`));
  }
  return `${lines.join('\n')}\n`;
}

/** `error <code>: <detail>`, then one line per invalid field. For stderr. */
export function formatApiError(error: Pick<ApiError, 'code' | 'detail' | 'fieldErrors' | 'status' | 'requestId'>): string {
  const lines = [`error ${error.code}: ${error.detail}`];
  for (const field of error.fieldErrors) lines.push(`  ${field.field}: ${field.messages.join('; ') || 'invalid'}`);
  if (error.requestId) lines.push(`  (request id ${error.requestId})`);
  return `${lines.join('\n')}\n`;
}
