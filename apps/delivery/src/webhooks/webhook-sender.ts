import http from 'node:http';
import https from 'node:https';
import { guardedLookup } from './url-guard';

export interface SendResult {
  /** The receiver's HTTP status, when one came. */
  statusCode: number | null;
  /** Why there was no 2xx, in words that name no code and no body. */
  error: string | null;
  durationMs: number;
}

/** Bytes of an answer read before the connection is dropped: only its status matters. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs one webhook: no redirects followed (a 3xx is a failure, as a redirect could lead to an
 * address the guard refuses), a deadline over the whole exchange, a lookup that refuses
 * non-public addresses (unless allowed), a fresh connection each time (agent: false).
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; allowPrivate: boolean }): Promise<SendResult> {
  const started = Date.now();
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ statusCode, error, durationMs: Date.now() - started });
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(options.allowPrivate),
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Kami-Webhooks/1' },
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        const status = response.statusCode ?? null;
        const done = (): void => finish(status, status !== null && status >= 200 && status < 300 ? null : `HTTP ${status}`);
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      finish(null, `no answer within ${options.timeoutMs} ms`);
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'ERROR';
      finish(null, code === 'ADDRESS_NOT_ALLOWED' ? 'the host resolves to a non-public address' : `connection failed (${code})`);
    });
    request.end(body);
  });
}
