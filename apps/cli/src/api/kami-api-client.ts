import http from 'node:http';
import https from 'node:https';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../cli/cli-errors';
import { parseBatch, parseRefusalPage, type Batch, type RefusalPage } from './vault-types';

export const CLI_VERSION = '0.1.0';

export interface FieldError {
  field: string;
  messages: string[];
}

/**
 * The API answered with an error (an `application/problem+json` body: `code`, `detail`, field
 * `errors`), or could not be reached (`status` 0, `code` `network_error` / `timeout`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fieldErrors: FieldError[] = [],
    readonly requestId?: string,
    /** Worth another try: a dropped connection or timeout, 429, 502, 503, 504. */
    readonly retryable = RETRYABLE_STATUSES.has(status),
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ApiError';
  }
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** Connection failures that say the server is absent or misnamed: trying again at once will not help. */
const HOPELESS_NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export interface KamiApiClientOptions {
  /** e.g. `http://127.0.0.1:3000` (the gateway); no trailing slash needed. */
  baseUrl: string;
  apiKey: string;
  /** Per request, for the JSON calls (the upload has an idle timeout instead). */
  requestTimeoutMs?: number;
  /** The upload fails when the connection stays silent this long. */
  uploadIdleTimeoutMs?: number;
}

export interface UploadOptions {
  /** Sent as Content-Length when known, so the server (and any proxy) can refuse early. */
  contentLength?: number;
  /** Called with the number of bytes handed to the connection so far. */
  onProgress?: (bytesSent: number) => void;
  signal?: AbortSignal;
}

const BATCHES = '/api/v1/vault/batches';
const MAX_ERROR_BODY = 64 * 1024;

/** A small typed client for the vault's batch API, through the gateway, authenticated with an API key. */
export class KamiApiClient {
  private readonly baseUrl: string;
  private readonly requestTimeoutMs: number;
  private readonly uploadIdleTimeoutMs: number;

  constructor(private readonly options: KamiApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.uploadIdleTimeoutMs = options.uploadIdleTimeoutMs ?? 300_000;
  }

  /** `POST /batches` for a CSV upload; the Idempotency-Key makes a retried create return the same batch. */
  async createCsvBatch(input: { offerId: string; fileName: string }, idempotencyKey: string): Promise<Batch> {
    const body = await this.requestJson('POST', BATCHES, {
      body: { offerId: input.offerId, source: 'csv', fileName: input.fileName },
      headers: { 'idempotency-key': idempotencyKey },
    });
    return this.parse(parseBatch, body);
  }

  /**
   * `PUT /batches/{id}/content`: streams `body` as text/csv (never buffered whole) and resolves
   * with the batch the server answers once it has consumed the body (202).
   *
   * Uses node:http rather than fetch: when the server refuses while the body is still being sent
   * (413, 409, 401…) and closes the connection, fetch only reports EPIPE, while node:http hands
   * over the response, so the user sees the server's problem instead of a broken pipe.
   */
  uploadContent(batchId: string, body: Readable, options: UploadOptions = {}): Promise<Batch> {
    const url = new URL(`${this.baseUrl}${BATCHES}/${encodeURIComponent(batchId)}/content`);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<Batch>((resolve, reject) => {
      let settled = false;
      let responded = false;
      let bodyError: Error | undefined;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        action();
      };

      const request = transport.request(url, {
        method: 'PUT',
        headers: {
          ...this.baseHeaders(),
          'content-type': 'text/csv',
          ...(options.contentLength !== undefined ? { 'content-length': String(options.contentLength) } : {}),
        },
        signal: options.signal,
      });
      request.setTimeout(this.uploadIdleTimeoutMs, () =>
        request.destroy(Object.assign(new Error(`no answer for ${this.uploadIdleTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' })),
      );

      request.on('response', (response) => {
        responded = true;
        const ok = (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
        // Refused before the end of the body: stop reading the file.
        if (!ok) body.destroy();
        readText(response, ok ? Number.POSITIVE_INFINITY : MAX_ERROR_BODY)
          .then((text) => {
            if (!ok) return settle(() => reject(toApiError(response.statusCode ?? 0, String(response.headers['content-type'] ?? ''), text)));
            settle(() => {
              try {
                resolve(this.parse(parseBatch, JSON.parse(text)));
              } catch (error) {
                reject(error instanceof ApiError ? error : invalidResponse(response.statusCode ?? 0, error));
              }
            });
          })
          .catch((error: Error) => settle(() => reject(networkError(url, error))));
      });
      request.on('error', (error) => {
        // Once the server has answered, its answer wins over the broken pipe that may follow.
        if (responded) return;
        settle(() => reject(bodyError ? localReadError(bodyError) : networkError(url, error)));
      });

      body.once('error', (error) => {
        bodyError = error;
      });
      let sent = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          sent += chunk.length;
          options.onProgress?.(sent);
          callback(null, chunk);
        },
      });
      pipeline(body, counter, request).catch((error: Error) => {
        if (responded) return;
        settle(() => reject(bodyError ? localReadError(bodyError) : networkError(url, error)));
      });
    });
  }

  async getBatch(batchId: string, options: { signal?: AbortSignal } = {}): Promise<Batch> {
    return this.parse(parseBatch, await this.requestJson('GET', `${BATCHES}/${encodeURIComponent(batchId)}`, { signal: options.signal }));
  }

  /** One page of the batch's refused lines, in line order. */
  async listRefusals(batchId: string, page: { limit?: number; cursor?: string } = {}): Promise<RefusalPage> {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    if (page.cursor) query.set('cursor', page.cursor);
    const suffix = query.size ? `?${query}` : '';
    return this.parse(parseRefusalPage, await this.requestJson('GET', `${BATCHES}/${encodeURIComponent(batchId)}/refusals${suffix}`));
  }

  private baseHeaders(): Record<string, string> {
    return {
      'x-api-key': this.options.apiKey,
      accept: 'application/json, application/problem+json',
      'user-agent': `kami-cli/${CLI_VERSION} node/${process.versions.node}`,
    };
  }

  private async requestJson(
    method: 'GET' | 'POST',
    path: string,
    init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const url = new URL(`${this.baseUrl}${path}`);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...this.baseHeaders(),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
        signal: init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(this.requestTimeoutMs)]) : AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (error) {
      throw networkError(url, error as Error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw networkError(url, error as Error);
    }
    if (!response.ok) throw toApiError(response.status, response.headers.get('content-type') ?? '', text);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw invalidResponse(response.status, error);
    }
  }

  private parse<T>(parser: (value: unknown) => T, value: unknown): T {
    try {
      return parser(value);
    } catch (error) {
      throw invalidResponse(200, error);
    }
  }
}

/** Reads an error body as problem+json when it is one; a proxy's HTML page becomes `http_<status>`. */
export function toApiError(status: number, contentType: string, text: string): ApiError {
  let problem: Record<string, unknown> | undefined;
  if (/json/i.test(contentType) || text.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) problem = parsed as Record<string, unknown>;
    } catch {
      problem = undefined;
    }
  }
  const code = typeof problem?.code === 'string' && problem.code ? problem.code : `http_${status}`;
  const detail =
    typeof problem?.detail === 'string' && problem.detail
      ? problem.detail
      : typeof problem?.title === 'string' && problem.title
        ? problem.title
        : (http.STATUS_CODES[status] ?? 'unexpected answer');
  const requestId = typeof problem?.requestId === 'string' ? problem.requestId : undefined;
  return new ApiError(status, code, detail, toFieldErrors(problem?.errors), requestId);
}

function toFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): FieldError[] => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { field, messages, message } = entry as Record<string, unknown>;
    const list = Array.isArray(messages) ? messages.map(String) : typeof message === 'string' ? [message] : [];
    return [{ field: typeof field === 'string' ? field : '(body)', messages: list }];
  });
}

function networkError(url: URL, error: Error): ApiError {
  if (error.name === 'TimeoutError') return new ApiError(0, 'timeout', `${url.origin} did not answer in time`, [], undefined, true);
  const cause = (error as { cause?: unknown }).cause as (Error & { code?: string }) | undefined;
  const code = cause?.code ?? (error as Error & { code?: string }).code;
  const reason = code ?? cause?.message ?? error.message;
  const retryable = code !== undefined && !HOPELESS_NETWORK_CODES.has(code);
  return new ApiError(0, 'network_error', `cannot reach ${url.origin} (${reason})`, [], undefined, retryable);
}

function invalidResponse(status: number, error: unknown): ApiError {
  return new ApiError(status, 'invalid_response', `the API answered something the CLI cannot read: ${(error as Error).message}`);
}

function localReadError(error: Error): UsageError {
  return new UsageError(`cannot read the file: ${error.message}`);
}

function readText(stream: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      if (size >= limit) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
    stream.once('close', () => {
      if (!stream.complete) reject(new Error('the connection closed mid-answer'));
    });
  });
}
