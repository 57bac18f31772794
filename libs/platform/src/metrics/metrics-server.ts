import http from 'node:http';
import { metricsRegistry } from './metrics';

/**
 * The Prometheus scrape endpoint on a listener of its own (METRICS_HOST:METRICS_PORT), so metrics
 * are never on a service's public port: `GET /metrics` in the text exposition format, 404 for
 * anything else. Resolves once it listens; rejects when it cannot (the port is taken).
 */
export function startMetricsServer(port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // Never the reason a process stays up.
      server.unref();
      resolve(server);
    });
  });
}
