import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as a collector receives it (OTLP/HTTP JSON), with the service that sent it. */
export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startMs: number;
  durationMs: number;
}

export interface OtlpCollector {
  /** What to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: CollectedSpan[];
  /** The spans of one trace, in start order. */
  trace(traceId: string): CollectedSpan[];
  stop(): Promise<void>;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string | number; endTimeUnixNano: string | number }[] }[];
  }[];
}

const nanosToMs = (nanos: string | number): number => Number(BigInt(nanos) / 1000n) / 1000;

/**
 * A real OTLP/HTTP trace receiver (JSON encoding, POST /v1/traces), as a collector would run: the
 * services' exporters send to it, and tests and benchmarks read what arrived.
 */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
      for (const resource of body.resourceSpans ?? []) {
        const service = resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? 'unknown';
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            const startMs = nanosToMs(span.startTimeUnixNano);
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: span.kind,
              startMs,
              durationMs: nanosToMs(span.endTimeUnixNano) - startMs,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    trace: (traceId) => spans.filter((s) => s.traceId === traceId).sort((a, b) => a.startMs - b.startMs),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
