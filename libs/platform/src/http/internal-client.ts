import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import HttpAgent from 'agentkeepalive';

/**
 * A JSON client for the internal calls between services (delivery → vault, gateway → delivery):
 * node:http over connections kept open (fetch's streams cost more CPU than the small requests they
 * carry). An idle connection is dropped after 4 s, before the callee's 5 s keep-alive timeout
 * (Node's default) could close it under a request being sent on it.
 */
export class InternalHttpClient {
  private readonly agent: HttpAgent;
  private readonly httpsAgent: HttpAgent.HttpsAgent;

  constructor(private readonly options: { timeoutMs: number; maxFreeSockets?: number }) {
    const agentOptions = { keepAlive: true, freeSocketTimeout: 4_000, maxFreeSockets: options.maxFreeSockets ?? 16 };
    this.agent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpAgent.HttpsAgent(agentOptions);
  }

  /** POSTs a JSON body; the status and the body's text (any status: the caller decides). Rejects on a network failure or past the timeout. */
  post(url: URL, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: https ? this.httpsAgent : this.agent,
          timeout: this.options.timeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.once('error', reject);
        },
      );
      req.once('timeout', () => req.destroy(new Error(`no answer from ${url.host} within ${this.options.timeoutMs} ms`)));
      req.once('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
    this.httpsAgent.destroy();
  }
}
