import { randomUUID } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { eventually, spawnTs, startSystem, type Account, type ApiResponse, type JsonBody, type SpawnedProcess, type SystemHarness } from '@kami/testing';
import { generatedCode, writeCodeFile } from './fixtures/code-file';
import { seedOffer } from './support/vault-fixtures';

/*
 * Ingest at scale, through the real gateway and vault: a million-line CSV streamed in (and the
 * vault's memory while it does), and a vault killed in the middle of an upload.
 */

const MILLION = 1_000_000;
const STALE_AFTER_MS = 3_000;
const RSS_LIMIT_BYTES = 500 * 1024 * 1024;

let h: SystemHarness;
let supplier: Account;
let dir: string;
let restarted: SpawnedProcess | undefined;

const api = (method: string, url: string, json?: unknown): Promise<ApiResponse> =>
  h.gateway.request(method, `/api/v1/vault${url}`, { token: supplier.token, json, headers: json ? { 'idempotency-key': randomUUID() } : {} });

async function createCsvBatch(offerId: string, fileName: string): Promise<JsonBody> {
  const response = await api('POST', '/batches', { offerId, source: 'csv', fileName });
  expect(response.status).toBe(201);
  return response.body;
}

/** PUTs a body stream through the gateway as the CLI does (fetch, streamed, duplex half). */
async function putContent(batchId: string, body: ReadableStream<Uint8Array>): Promise<ApiResponse> {
  const response = await fetch(`${h.gateway.url}/api/v1/vault/batches/${batchId}/content`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${supplier.token}`, 'content-type': 'text/csv' },
    body,
    duplex: 'half',
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, headers: response.headers, contentType: response.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : undefined, text };
}

/** A body that sends `content` up to `holdAt` bytes, then waits for `release()` and fails (an upload cut short). */
function heldBody(content: Buffer, holdAt: number): { body: ReadableStream<Uint8Array>; release: () => void } {
  let sent = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= holdAt) {
        await held;
        controller.error(new Error('the test ends this upload'));
        return;
      }
      const next = content.subarray(sent, Math.min(sent + 64 * 1024, holdAt));
      sent += next.length;
      controller.enqueue(next);
    },
  });
  return { body, release };
}

const fileBody = (file: string): ReadableStream<Uint8Array> => Readable.toWeb(createReadStream(file, { highWaterMark: 256 * 1024 })) as ReadableStream<Uint8Array>;

/** Peak resident memory of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) * 1024;
}

async function stockOf(offerId: string): Promise<Record<string, number> | undefined> {
  const [row] = await h.service('vault').query<Record<string, number>>(
    `SELECT uploaded::int, available::int, reserved::int, sold::int, voided::int FROM offer_stock WHERE offer_id = $1`,
    [offerId],
  );
  return row;
}

async function codesOfBatch(batchId: string): Promise<number> {
  const [row] = await h.service('vault').query<{ n: string }>(`SELECT count(*) AS n FROM code WHERE batch_id = $1`, [batchId]);
  return Number(row!.n);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kami-ingest-'));
  h = await startSystem({
    label: 'ingest_scale',
    services: ['vault'],
    serviceEnv: { vault: { BATCH_STALE_AFTER_MS: String(STALE_AFTER_MS) } },
    limits: { RATE_LIMIT_PER_IP: 100_000 },
  });
  const operator = await h.bootstrapOperator();
  supplier = await h.createAccount(operator.token, 'supplier');
}, 120_000);

afterAll(async () => {
  await restarted?.stop();
  await h?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('ingests a 1,000,000-line CSV streamed through the gateway, with its planted refusals, in under 500 MB', async () => {
  const { offerId } = await seedOffer(h.service('vault'), { supplierId: supplier.organisationId });
  const file = path.join(dir, 'million.csv');
  // Header on line 1, so data line i is file line i + 2. Planted: a bad code, and four repeats of the first code.
  const repeats = [250_000, 500_001, 750_000, 999_999];
  const bytes = await writeCodeFile(file, {
    lines: MILLION,
    seed: 'A',
    header: true,
    plant: (i) => (i === 500_000 ? 'NOT-A-CODE' : repeats.includes(i) ? ` ${generatedCode(0, 'A')}` : undefined),
  });
  const batch = await createCsvBatch(offerId, 'million.csv');

  const vaultPid = h.service('vault').process.child.pid!;
  const peakBefore = peakRss(vaultPid);
  const started = Date.now();
  const response = await putContent(batch.id, fileBody(file));
  const seconds = (Date.now() - started) / 1000;
  const peak = peakRss(vaultPid);

  expect(response.status).toBe(202);
  expect(response.body).toMatchObject({
    status: 'completed',
    linesReceived: MILLION,
    accepted: MILLION - 5,
    refused: { bad_format: 1, duplicate_in_batch: 4, duplicate_in_vault: 0, expired: 0 },
    failure: null,
    codes: { available: MILLION - 5, reserved: 0, sold: 0, void: 0 },
  });
  const refusals = await api('GET', `/batches/${batch.id}/refusals?limit=20`);
  expect(refusals.body).toEqual({
    items: [
      { line: 250_002, reason: 'duplicate_in_batch', firstLine: 2 },
      { line: 500_002, reason: 'bad_format', field: 'code' },
      { line: 500_003, reason: 'duplicate_in_batch', firstLine: 2 },
      { line: 750_002, reason: 'duplicate_in_batch', firstLine: 2 },
      { line: 1_000_001, reason: 'duplicate_in_batch', firstLine: 2 },
    ],
    nextCursor: null,
  });
  expect(await stockOf(offerId)).toEqual({ uploaded: MILLION - 5, available: MILLION - 5, reserved: 0, sold: 0, voided: 0 });
  expect(await codesOfBatch(batch.id)).toBe(MILLION - 5);

  process.stdout.write(
    `ingest: ${MILLION} lines (${(bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s = ${Math.round(MILLION / seconds)} codes/s end to end; ` +
      `vault peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB (${(peakBefore / 1024 / 1024).toFixed(0)} MiB before the upload)\n`,
  );
  expect(peak).toBeLessThan(RSS_LIMIT_BYTES);
}, 300_000);

it('fails a batch whose vault was killed mid-upload as interrupted, keeps none of its codes, and takes the same file again', async () => {
  const { offerId } = await seedOffer(h.service('vault'), { supplierId: supplier.organisationId });
  const lines = 200_000;
  const file = path.join(dir, 'crash.csv');
  await writeCodeFile(file, { lines, seed: 'B' });
  const content = await readFile(file);
  const stockBefore = await stockOf(offerId);

  // The upload sends the first ~30,000 lines, then holds until the vault is dead.
  const batch = await createCsvBatch(offerId, 'crash.csv');
  const { body, release } = heldBody(content, 30_000 * 17);
  const upload = putContent(batch.id, body).then(
    (response) => ({ response }),
    (error: unknown) => ({ error }),
  );

  const progress = await eventually(
    () => api('GET', `/batches/${batch.id}`),
    (r) => r.body?.linesReceived > 0,
    { what: 'the batch to show lines received', timeoutMs: 60_000 },
  );
  expect(progress.body.status).toBe('receiving');
  expect(await codesOfBatch(batch.id)).toBeGreaterThan(0);

  // Kill the vault with SIGKILL (no shutdown hook runs), then start it again as it was started.
  const vault = h.service('vault');
  const environment = Object.fromEntries(
    readFileSync(`/proc/${vault.process.child.pid}/environ`, 'utf8')
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
  vault.process.child.kill('SIGKILL');
  expect((await vault.process.exited).signal).toBe('SIGKILL');
  release();
  // The client sees the upload fail: a dropped connection, or the gateway's 503 for the dead vault.
  const answer = await upload;
  if ('response' in answer) expect(answer.response.status).toBeGreaterThanOrEqual(500);

  restarted = spawnTs('apps/vault/src/main.ts', environment);
  await eventually(
    () => fetch(`${vault.url}/health/ready`).then((r) => r.status, () => 0),
    (status) => status === 200,
    { what: 'the restarted vault to be ready', timeoutMs: 60_000, intervalMs: 200 },
  );

  const recovered = await eventually(
    () => api('GET', `/batches/${batch.id}`),
    (r) => r.body?.status !== 'receiving',
    { what: 'the interrupted batch to be recovered', timeoutMs: 30_000 },
  );
  expect(recovered.body).toMatchObject({ status: 'failed', failure: { code: 'interrupted' }, codes: { available: 0, reserved: 0, sold: 0, void: 0 } });
  expect(await codesOfBatch(batch.id)).toBe(0);
  expect(await stockOf(offerId)).toEqual(stockBefore);

  // The same file again: none of its codes is "already in the vault".
  const again = await createCsvBatch(offerId, 'crash.csv');
  const response = await putContent(again.id, fileBody(file));
  expect(response.status).toBe(202);
  expect(response.body).toMatchObject({ status: 'completed', linesReceived: lines, accepted: lines, refused: { duplicate_in_vault: 0, duplicate_in_batch: 0, bad_format: 0 } });
  expect(await stockOf(offerId)).toEqual({ uploaded: lines, available: lines, reserved: 0, sold: 0, voided: 0 });
}, 240_000);

it('on a graceful shutdown (SIGTERM) fails the batch being ingested as interrupted at once, keeping none of its codes', async () => {
  const vault = h.service('vault');
  const { offerId } = await seedOffer(vault, { supplierId: supplier.organisationId });
  const content = Buffer.from(`${Array.from({ length: 40_000 }, (_, i) => generatedCode(i, 'C')).join('\n')}\n`);
  const batch = await createCsvBatch(offerId, 'shutdown.csv');
  const { body, release } = heldBody(content, 20_000 * 17);
  const upload = putContent(batch.id, body).then(
    (response) => ({ response }),
    (error: unknown) => ({ error }),
  );
  await eventually(
    () => api('GET', `/batches/${batch.id}`),
    (r) => r.body?.linesReceived > 0,
    { what: 'the batch to show lines received', timeoutMs: 60_000 },
  );

  await restarted!.stop('SIGTERM');
  release();
  await upload;
  // Failed by the stopping process itself: no other process ran, and no stale-heartbeat wait.
  const [row] = await vault.query<{ status: string; failure_code: string; failure_detail: string }>(`SELECT status, failure_code, failure_detail FROM batch WHERE id = $1`, [batch.id]);
  expect(row).toMatchObject({ status: 'failed', failure_code: 'interrupted' });
  expect(row!.failure_detail).toMatch(/shutting down/);
  expect(await codesOfBatch(batch.id)).toBe(0);
  expect(await stockOf(offerId)).toBeUndefined();
}, 120_000);
