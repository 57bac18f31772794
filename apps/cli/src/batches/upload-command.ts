import { randomUUID } from 'node:crypto';
import { createReadStream, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ApiError, type KamiApiClient } from '../api/kami-api-client';
import { isTerminal, totalRefused, type Batch } from '../api/vault-types';
import { ExitCode, UsageError } from '../cli/cli-errors';
import { animationEnabled, colourEnabled, type Io } from '../cli/io';
import { formatApiError, formatBatchSummary, formatBytes, formatCount, styleFor } from './report-format';
import { PlainProgress, TerminalProgress, type UploadProgress } from './upload-progress';

export type BatchApi = Pick<KamiApiClient, 'createCsvBatch' | 'uploadContent' | 'getBatch' | 'listRefusals'>;

export interface UploadCommandOptions {
  file: string;
  offerId: string;
  jsonSummary: boolean;
}

export interface UploadDependencies {
  api: BatchApi;
  io: Io;
  pollIntervalMs?: number;
  progress?: UploadProgress;
}

/** How many refusals the end-of-upload report lists (`kami batches report ID --all` lists them all). */
export const SUMMARY_REFUSALS = 20;
const ATTEMPTS = 5;

/**
 * `kami batches upload FILE --offer ID`: creates a CSV batch, streams the file into it with a
 * progress bar, follows the vault's ingest until the batch is completed or failed, and reports.
 * Resolves with the exit code: 0 completed, 1 failed (API errors are thrown as ApiError).
 */
export async function uploadBatch(options: UploadCommandOptions, deps: UploadDependencies): Promise<number> {
  const { api, io } = deps;
  const pollIntervalMs = deps.pollIntervalMs ?? 500;
  const file = path.resolve(options.file);
  const stats = statFile(file, options.file);
  const fileName = path.basename(file);
  const totalLines = await countLines(file);

  // One key for every attempt: a create retried after a lost answer gets the same batch back.
  const idempotencyKey = randomUUID();
  const created = await patiently(() => api.createCsvBatch({ offerId: options.offerId, fileName }, idempotencyKey), pollIntervalMs);
  io.stderr.write(
    `batch ${created.id} created for offer ${options.offerId}: ${fileName}, ${formatBytes(stats.size)}, ${formatCount(totalLines)} lines\n`,
  );

  const progress = deps.progress ?? (animationEnabled(io) ? new TerminalProgress(io.stderr) : new PlainProgress(io.stderr));
  const onInterrupt = (): void => {
    progress.stop();
    io.stderr.write(`\ninterrupted: batch ${created.id} was not fully uploaded; see \`kami batches show ${created.id}\`\n`);
    process.exit(ExitCode.Interrupted);
  };
  process.once('SIGINT', onInterrupt);

  let latest: Batch = created;
  // A batch that has ended stays ended: a late answer to an earlier poll cannot bring it back.
  const accept = (next: Batch): void => {
    if (!isTerminal(latest)) latest = next;
    progress.batchUpdated(latest);
  };
  try {
    progress.uploadStarted(stats.size, totalLines);
    // The vault ingests while it receives, so its counters move during the upload already.
    const stopPolling = new AbortController();
    const polling = (async () => {
      while (await sleep(pollIntervalMs, stopPolling.signal)) {
        try {
          const batch = await api.getBatch(created.id, { signal: stopPolling.signal });
          if (!stopPolling.signal.aborted) accept(batch);
        } catch {
          // Best effort while uploading: the upload's own answer tells what went wrong.
        }
      }
    })();
    let uploaded: Batch;
    try {
      uploaded = await api.uploadContent(created.id, createReadStream(file), {
        contentLength: stats.size,
        onProgress: (bytes) => progress.bytesSent(bytes),
      });
    } finally {
      stopPolling.abort();
      await polling;
    }
    progress.uploadFinished();
    accept(uploaded);
    while (!isTerminal(latest)) {
      await sleep(pollIntervalMs);
      accept(await patiently(() => api.getBatch(created.id), pollIntervalMs));
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
  }

  const exitCode = latest.status === 'completed' ? ExitCode.Ok : ExitCode.BatchFailed;
  if (options.jsonSummary) {
    io.stdout.write(`${JSON.stringify(latest)}\n`);
    return exitCode;
  }
  let refusals: Awaited<ReturnType<BatchApi['listRefusals']>> = { items: [], nextCursor: null };
  if (totalRefused(latest) > 0) {
    try {
      refusals = await api.listRefusals(latest.id, { limit: SUMMARY_REFUSALS });
    } catch (error) {
      // The batch is done either way; say why the list is missing rather than hide the counts.
      if (!(error instanceof ApiError)) throw error;
      io.stderr.write(`could not list the refused lines: ${formatApiError(error)}`);
    }
  }
  io.stdout.write(
    formatBatchSummary(latest, {
      style: styleFor(colourEnabled(io)),
      refusals: refusals.items,
      moreRefusals: refusals.nextCursor !== null || totalRefused(latest) > refusals.items.length,
    }),
  );
  return exitCode;
}

function statFile(file: string, given: string): Stats {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${given}` : `cannot read ${given}: ${(error as Error).message}`);
  }
  if (!stats.isFile()) throw new UsageError(`not a file: ${given}`);
  return stats;
}

/** Lines in the file (a last line without a newline counts), read as a stream: the ingest bar's total. */
export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  let size = 0;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      size += chunk.length;
      for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, index + 1)) lines += 1;
      last = chunk[chunk.length - 1]!;
    }
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return size > 0 && last !== 0x0a ? lines + 1 : lines;
}

/** Runs `call`, riding out a few transient failures (dropped connections, timeouts, 429, 502–504) with exponential backoff. */
async function patiently<T>(call: () => Promise<T>, baseDelayMs: number): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable || attempt >= ATTEMPTS) throw error;
      await sleep(baseDelayMs * 2 ** attempt);
    }
  }
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
