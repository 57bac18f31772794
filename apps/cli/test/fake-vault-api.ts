import { createHash, type Hash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the vault's batch API behind the gateway: the four endpoints the CLI calls,
 * with the contract the CLI relies on. It consumes the streamed CSV for real: hashes every byte,
 * splits lines across chunk boundaries and counts them while the body arrives, so a poll during
 * the upload sees `linesReceived` grow.
 *
 * CSV: an optional header line `code[,…]`; then one code per line. Refused: an empty or
 * non-[A-Z0-9-] code (bad_format, field code), a second column `expired` (expired), a code seen
 * earlier in the batch (duplicate_in_batch, firstLine), a code starting with VAULT- (duplicate_in_vault).
 *
 * Creates honour Idempotency-Key (the same key answers the same batch).
 * Behaviour per offer id: `offer-unknown` → 404 on create; `offer-flaky` → 503 on the first
 * create, as a restarting vault behind the gateway would; `offer-too-big` → 413 on the upload
 * before reading the body; `offer-fails` → the batch ends `failed`. Any other offer completes,
 * after `pollsBeforeDone` GETs that follow the upload (so the CLI must poll).
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body?: string;
}

interface StoredBatch {
  json: Record<string, unknown> & { id: string; status: string; linesReceived: number; accepted: number; refused: Record<string, number> };
  refusals: { line: number; reason: string; field?: string; firstLine?: number }[];
  seen: Map<string, number>;
  hash: Hash;
  bytes: number;
  sha256?: string;
  pollsLeft: number;
  finish: () => void;
}

export interface FakeVaultApi {
  url: string;
  requests: RecordedRequest[];
  /** Bytes and SHA-256 of the body the server consumed for a batch. */
  received(batchId: string): { bytes: number; sha256: string | undefined };
  batch(batchId: string): Record<string, unknown>;
  close(): Promise<void>;
}

const BATCHES = '/api/v1/vault/batches';

export async function startFakeVaultApi(options: { apiKey: string; pollsBeforeDone?: number }): Promise<FakeVaultApi> {
  const batches = new Map<string, StoredBatch>();
  const requests: RecordedRequest[] = [];
  const byIdempotencyKey = new Map<string, string>();
  const flaked = new Set<string>();
  let sequence = 0;

  const problem = (res: ServerResponse, status: number, code: string, detail: string, extra: Record<string, unknown> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: `https://kami.dev/problems/${code.replace(/_/g, '-')}`, title: http.STATUS_CODES[status], status, code, detail, ...extra }));
  };
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const create = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> => {
    record.body = await readBody(req);
    const input = JSON.parse(record.body) as { offerId?: string; source?: string; fileName?: string };
    if (!req.headers['idempotency-key']) return problem(res, 400, 'idempotency_key_required', 'Send an Idempotency-Key header.');
    if (!input.offerId || input.source !== 'csv') {
      return problem(res, 400, 'validation_failed', 'The request has 1 invalid field(s).', { errors: [{ field: 'offerId', messages: ['offerId is required'] }] });
    }
    if (input.offerId === 'offer-unknown') return problem(res, 404, 'offer_not_found', `No offer ${input.offerId} of your organisation.`);
    const key = String(req.headers['idempotency-key']);
    if (byIdempotencyKey.has(key)) return json(res, 201, batches.get(byIdempotencyKey.get(key)!)!.json);
    if (input.offerId === 'offer-flaky' && !flaked.has(key)) {
      flaked.add(key);
      return problem(res, 503, 'service_unavailable', 'The vault service is not answering; try again shortly.');
    }
    sequence += 1;
    const id = `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
    const stored: StoredBatch = {
      json: {
        id,
        offerId: input.offerId,
        status: 'receiving',
        source: 'csv',
        fileName: input.fileName ?? null,
        linesReceived: 0,
        accepted: 0,
        refused: { bad_format: 0, duplicate_in_batch: 0, duplicate_in_vault: 0, expired: 0 },
        failure: null,
        createdAt: new Date().toISOString(),
        finishedAt: null,
      },
      refusals: [],
      seen: new Map(),
      hash: createHash('sha256'),
      bytes: 0,
      pollsLeft: options.pollsBeforeDone ?? 2,
      finish: () => {
        if (input.offerId === 'offer-fails') {
          Object.assign(stored.json, { status: 'failed', accepted: 0, failure: { code: 'encryption_unavailable', detail: 'The vault could not encrypt the batch; nothing was stored.' } });
        } else {
          stored.json.status = 'completed';
        }
        stored.json.finishedAt = new Date().toISOString();
      },
    };
    batches.set(id, stored);
    byIdempotencyKey.set(key, id);
    json(res, 201, stored.json);
  };

  const ingestLine = (stored: StoredBatch, text: string, lineNumber: number): void => {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (lineNumber === 1 && /^code(,|$)/.test(line)) return; // header
    stored.json.linesReceived += 1;
    const [code = '', second = ''] = line.split(',');
    const refuse = (reason: string, extra: { field?: string; firstLine?: number } = {}): void => {
      stored.json.refused[reason] = (stored.json.refused[reason] ?? 0) + 1;
      stored.refusals.push({ line: lineNumber, reason, ...extra });
    };
    if (!/^[A-Z0-9-]+$/.test(code)) return refuse('bad_format', { field: 'code' });
    if (second === 'expired') return refuse('expired');
    const first = stored.seen.get(code);
    if (first !== undefined) return refuse('duplicate_in_batch', { firstLine: first });
    stored.seen.set(code, lineNumber);
    if (code.startsWith('VAULT-')) return refuse('duplicate_in_vault');
    stored.json.accepted += 1;
  };

  const upload = async (req: IncomingMessage, res: ServerResponse, stored: StoredBatch): Promise<void> => {
    if (req.headers['content-type'] !== 'text/csv') return problem(res, 415, 'unsupported_media_type', 'Send text/csv.');
    if (stored.json.offerId === 'offer-too-big') {
      // Refuse at once, without reading the body, as a size limit in front of the vault would. Like
      // such a proxy (nginx's lingering close) the rest of the body is then read and dropped, not cut
      // off: closing at once races the client's next write, whose EPIPE can beat the answer to it
      // (the client's socket is destroyed with the 413 still unread: a flaky test, not a CLI fault).
      problem(res, 413, 'payload_too_large', 'A batch file may hold at most 1 byte here.');
      req.resume();
      return;
    }
    let pending: Buffer = Buffer.alloc(0);
    let lineNumber = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      stored.hash.update(chunk);
      stored.bytes += chunk.length;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let start = 0;
      for (let end = pending.indexOf(0x0a); end !== -1; end = pending.indexOf(0x0a, start)) {
        lineNumber += 1;
        ingestLine(stored, pending.subarray(start, end).toString('utf8'), lineNumber);
        start = end + 1;
      }
      pending = pending.subarray(start);
    }
    if (pending.length) ingestLine(stored, pending.toString('utf8'), lineNumber + 1);
    stored.sha256 = stored.hash.digest('hex');
    if (stored.pollsLeft <= 0) stored.finish();
    json(res, 202, stored.json);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(record);
    const handle = async (): Promise<void> => {
      if (req.headers['x-api-key'] !== options.apiKey) return problem(res, 401, 'unauthenticated', 'A valid API key is required.');
      if (req.method === 'POST' && url.pathname === BATCHES) return create(req, res, record);
      const match = new RegExp(`^${BATCHES}/([^/]+)(/content|/refusals)?$`).exec(url.pathname);
      const stored = match ? batches.get(decodeURIComponent(match[1]!)) : undefined;
      if (!match || !stored) return problem(res, 404, 'not_found', `No route or batch for ${req.method} ${url.pathname}.`);
      if (req.method === 'PUT' && match[2] === '/content') return upload(req, res, stored);
      if (req.method === 'GET' && !match[2]) {
        // The ingest "finishes" a few polls after the body ended, so the CLI has to follow the job.
        if (stored.sha256 && stored.json.status === 'receiving' && --stored.pollsLeft <= 0) stored.finish();
        return json(res, 200, stored.json);
      }
      if (req.method === 'GET' && match[2] === '/refusals') {
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), 100);
        const from = url.searchParams.has('cursor') ? Number(Buffer.from(url.searchParams.get('cursor')!, 'base64url').toString()) : 0;
        const items = stored.refusals.slice(from, from + limit);
        const next = from + limit < stored.refusals.length ? Buffer.from(String(from + limit)).toString('base64url') : null;
        return json(res, 200, { items, nextCursor: next });
      }
      return problem(res, 405, 'method_not_allowed', `${req.method} is not allowed here.`);
    };
    handle().catch((error: Error) => {
      if (!res.headersSent) problem(res, 500, 'internal_error', error.message);
      else res.destroy(error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    received: (id) => ({ bytes: batches.get(id)?.bytes ?? 0, sha256: batches.get(id)?.sha256 }),
    batch: (id) => batches.get(id)!.json,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
