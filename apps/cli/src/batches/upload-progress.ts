import { MultiBar, type SingleBar } from 'cli-progress';
import type { Batch } from '../api/vault-types';
import { totalRefused } from '../api/vault-types';
import { formatBytes, formatCount, formatDuration } from './report-format';

/** What `kami batches upload` reports while it works: the bytes sent, then the lines the vault processed. */
export interface UploadProgress {
  uploadStarted(totalBytes: number, totalLines: number): void;
  bytesSent(bytes: number): void;
  uploadFinished(): void;
  batchUpdated(batch: Batch): void;
  /** Ends the display (restores the cursor); safe to call twice. */
  stop(): void;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressClock {
  now(): number;
}

const systemClock: ProgressClock = { now: () => Date.now() };

/** Two animated bars (upload: bytes, % and speed; ingest: lines with accepted / refused) on a terminal. */
export class TerminalProgress implements UploadProgress {
  private readonly bars: MultiBar;
  private upload?: SingleBar;
  private ingest?: SingleBar;
  private totalBytes = 0;
  private totalLines = 0;
  private startedAt = 0;
  private stopped = false;

  constructor(stream: ProgressStream, private readonly clock: ProgressClock = systemClock) {
    this.bars = new MultiBar(
      {
        stream: stream as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        gracefulExit: false,
        fps: 10,
        etaBuffer: 40,
        autopadding: true,
        // The text around the bars takes up to ~64 columns (a million lines): fit an 80-column terminal.
        barsize: Math.min(30, Math.max(10, (stream.columns ?? 80) - 64)),
        barCompleteChar: '\u2588',
        barIncompleteChar: '\u2591',
      },
      undefined,
    );
  }

  uploadStarted(totalBytes: number, totalLines: number): void {
    this.totalBytes = totalBytes;
    this.totalLines = totalLines;
    this.startedAt = this.clock.now();
    this.upload = this.bars.create(Math.max(totalBytes, 1), 0, this.uploadPayload(0), {
      format: 'upload  [{bar}] {percentage}% | {sent} / {size} | {speed} | eta {eta_formatted}',
    });
    this.ingest = this.bars.create(Math.max(totalLines, 1), 0, this.ingestPayload(0, 0, 0), {
      format: 'ingest  [{bar}] {percentage}% | {lines} lines: {accepted} ok, {refused} refused',
    });
  }

  bytesSent(bytes: number): void {
    this.upload?.update(bytes, this.uploadPayload(bytes));
  }

  uploadFinished(): void {
    this.upload?.update(Math.max(this.totalBytes, 1), this.uploadPayload(this.totalBytes));
  }

  batchUpdated(batch: Batch): void {
    if (!this.ingest) return;
    // The file's line count is an estimate of what the vault counts (a header line, blank lines):
    // the bar reaches 100% when the batch is done, whatever it counted.
    const done = batch.status === 'completed' || batch.status === 'failed';
    const total = done ? Math.max(batch.linesReceived, 1) : Math.max(this.totalLines, batch.linesReceived, 1);
    this.ingest.setTotal(total);
    this.ingest.update(done ? total : batch.linesReceived, this.ingestPayload(batch.linesReceived, batch.accepted, totalRefused(batch)));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bars.stop();
  }

  private uploadPayload(bytes: number): Record<string, string> {
    const seconds = (this.clock.now() - this.startedAt) / 1000;
    return {
      sent: formatBytes(bytes),
      size: formatBytes(this.totalBytes),
      speed: seconds > 0.2 ? `${formatBytes(bytes / seconds)}/s` : '-',
    };
  }

  private ingestPayload(lines: number, accepted: number, refused: number): Record<string, string> {
    return { lines: formatCount(lines), accepted: formatCount(accepted), refused: formatCount(refused) };
  }
}

/**
 * For logs and pipes (stderr or stdout not a terminal): no animation, a plain line at most every
 * `intervalMs` while a phase runs, and one line when it ends.
 */
export class PlainProgress implements UploadProgress {
  private totalBytes = 0;
  private totalLines = 0;
  private startedAt = 0;
  private lastUploadLine = 0;
  private lastIngestLine = 0;
  private lastLines = -1;
  private uploadDone = false;
  private ingestDone = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly clock: ProgressClock = systemClock,
    private readonly intervalMs = 5_000,
  ) {}

  uploadStarted(totalBytes: number, totalLines: number): void {
    this.totalBytes = totalBytes;
    this.totalLines = totalLines;
    this.startedAt = this.lastUploadLine = this.lastIngestLine = this.clock.now();
  }

  bytesSent(bytes: number): void {
    const now = this.clock.now();
    if (this.uploadDone || now - this.lastUploadLine < this.intervalMs) return;
    this.lastUploadLine = now;
    const percent = this.totalBytes > 0 ? Math.floor((bytes / this.totalBytes) * 100) : 100;
    this.stream.write(`upload ${percent}% (${formatBytes(bytes)} of ${formatBytes(this.totalBytes)}, ${this.speed(bytes, now)})\n`);
  }

  uploadFinished(): void {
    if (this.uploadDone) return;
    this.uploadDone = true;
    const now = this.clock.now();
    this.stream.write(`uploaded ${formatBytes(this.totalBytes)} in ${formatDuration(now - this.startedAt)} (${this.speed(this.totalBytes, now)})\n`);
  }

  batchUpdated(batch: Batch): void {
    if (this.ingestDone) return;
    const now = this.clock.now();
    const done = batch.status === 'completed' || batch.status === 'failed';
    if (done) this.ingestDone = true;
    else if (now - this.lastIngestLine < this.intervalMs || batch.linesReceived === this.lastLines) return;
    this.lastIngestLine = now;
    this.lastLines = batch.linesReceived;
    const of = done ? '' : ` of ~${formatCount(this.totalLines)}`;
    this.stream.write(
      `${done ? `ingest ${batch.status}:` : 'ingest'} ${formatCount(batch.linesReceived)}${of} lines (accepted ${formatCount(batch.accepted)}, refused ${formatCount(totalRefused(batch))})\n`,
    );
  }

  stop(): void {
    // Nothing to restore.
  }

  private speed(bytes: number, now: number): string {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? `${formatBytes(bytes / seconds)}/s` : '-';
  }
}
