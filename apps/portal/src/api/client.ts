/**
 * The portal's only way to the server: the public REST API under /api/v1, same origin (the
 * gateway serves both the portal and the API). Adds the session token, sends and reads JSON,
 * puts an Idempotency-Key on creating POSTs, and turns every failure into an `ApiError` carrying
 * the API's stable problem `code` (application/problem+json), so pages can show it in words
 * (`errorMessage` in ./errors.ts).
 */

export interface FieldError {
  field: string;
  messages: string[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly fieldErrors: FieldError[];
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;
  /** The whole problem body (extensions such as `shortfall`, `refundable`, `orderId`). */
  readonly problem: Record<string, unknown>;

  constructor(init: { status: number; code: string; detail?: string; fieldErrors?: FieldError[]; requestId?: string; retryAfterSeconds?: number; problem?: Record<string, unknown> }) {
    super(init.detail ?? init.code);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.fieldErrors = init.fieldErrors ?? [];
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.problem = init.problem ?? {};
  }

  /** The messages for one field (`amount`, `lines.0.quantity`), empty when it has none. */
  fieldMessages(field: string): string[] {
    return this.fieldErrors.filter((e) => e.field === field).flatMap((e) => e.messages);
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  /** JSON body (anything but a string, Blob, File or ReadableStream is JSON-encoded). */
  body?: unknown;
  /**
   * `true`: a fresh key per call; a string: that key. For a form, create the key once per
   * intent (`newIdempotencyKey()` when the form is shown, a new one after success) and pass it on
   * every retry, so a retried or double-clicked submit cannot create twice.
   */
  idempotencyKey?: string | true;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** How to read a successful body: JSON by default; `text` (CSV) or `blob` (downloads). */
  responseType?: 'json' | 'text' | 'blob';
}

export interface ApiClientConfig {
  baseUrl?: string;
  getToken: () => string | null;
  /** Called on any 401 (expired or revoked session) before the error is thrown. */
  onUnauthenticated?: (error: ApiError) => void;
  fetch?: typeof fetch;
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export function buildUrl(baseUrl: string, path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const search = params.toString();
  return `${baseUrl}${path}${search ? `${path.includes('?') ? '&' : '?'}${search}` : ''}`;
}

/** Reads a failed response into an ApiError (problem+json, or whatever the server sent). */
export async function toApiError(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const text = await response.text();
    if (text) {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    }
  } catch {
    // not JSON (a proxy's HTML error page): keep the status alone
  }
  const retryHeader = response.headers.get('retry-after');
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : typeof body['retryAfterSeconds'] === 'number' ? (body['retryAfterSeconds'] as number) : undefined;
  const errors = Array.isArray(body['errors']) ? (body['errors'] as unknown[]) : [];
  const fieldErrors: FieldError[] = errors
    .filter((e): e is { field: string; messages: unknown } => !!e && typeof e === 'object' && typeof (e as { field?: unknown }).field === 'string')
    .map((e) => ({ field: e.field, messages: Array.isArray(e.messages) ? e.messages.map(String) : [] }));
  return new ApiError({
    status: response.status,
    code: typeof body['code'] === 'string' ? body['code'] : fallbackCode(response.status),
    detail: typeof body['detail'] === 'string' ? body['detail'] : undefined,
    fieldErrors,
    requestId: typeof body['requestId'] === 'string' ? body['requestId'] : undefined,
    retryAfterSeconds: retryAfter,
    problem: body,
  });
}

function fallbackCode(status: number): string {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'service_unavailable';
  if (status >= 500) return 'internal_error';
  return `http_${status}`;
}

export interface ApiClient {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, options?: RequestOptions): Promise<T>;
  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  put<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  patch<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  delete<T>(path: string, options?: RequestOptions): Promise<T>;
}

export function createApiClient(config: ApiClientConfig): ApiClient {
  const baseUrl = config.baseUrl ?? '';
  const doFetch = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json;q=0.9, */*;q=0.5', ...options.headers };
    const token = config.getToken();
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey === true ? newIdempotencyKey() : options.idempotencyKey;
    let body: BodyInit | undefined;
    if (options.body !== undefined) {
      const raw = options.body;
      if (typeof raw === 'string' || raw instanceof Blob || (typeof ReadableStream !== 'undefined' && raw instanceof ReadableStream)) {
        body = raw as BodyInit;
      } else {
        body = JSON.stringify(raw);
        headers['content-type'] = 'application/json';
      }
    }

    let response: Response;
    try {
      response = await doFetch(buildUrl(baseUrl, path, options.query), { method, headers, body, signal: options.signal });
    } catch (error) {
      if ((error as { name?: string })?.name === 'AbortError') throw error;
      throw new ApiError({ status: 0, code: 'network_error', detail: error instanceof Error ? error.message : String(error) });
    }

    if (!response.ok) {
      const error = await toApiError(response);
      if (error.status === 401) config.onUnauthenticated?.(error);
      throw error;
    }
    if (options.responseType === 'text') return (await response.text()) as T;
    if (options.responseType === 'blob') return (await response.blob()) as T;
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, body, options) => request('POST', path, { ...options, body }),
    put: (path, body, options) => request('PUT', path, { ...options, body }),
    patch: (path, body, options) => request('PATCH', path, { ...options, body }),
    delete: (path, options) => request('DELETE', path, options),
  };
}
