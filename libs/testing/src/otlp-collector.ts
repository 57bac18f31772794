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

/** What one kind of hop cost across the traces collected: its count and duration percentiles. */
export interface HopTiming {
  hop: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

const nearestRank = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

/**
 * Where a trace's time goes, hop by hop, over every trace in `spans`: each service's HTTP
 * handling (server spans) and event handling (consumer spans), each event's wait in the outbox
 * (from the end of the work that appended it to its publish) and on Kafka (from its publish to
 * its consumer picking it up). Database and client spans are inside those and not listed.
 */
export function hopBreakdown(spans: CollectedSpan[]): HopTiming[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const samples = new Map<string, number[]>();
  const add = (hop: string, ms: number): void => {
    const values = samples.get(hop) ?? [];
    values.push(Math.max(0, ms));
    samples.set(hop, values);
  };
  const shortName = (name: string): string => name.replace(/\.v\d+ (publish|process)$/, '').replace(/^(GET|POST|PUT|PATCH|DELETE)( .*)?$/, '$1');
  for (const span of spans) {
    const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
    if (span.kind === 2) add(`${span.service} http ${shortName(span.name)}`, span.durationMs);
    // A statement to PostgreSQL (the pg instrumentation's client span, named pg.query:<VERB> <database>).
    if (span.kind === 3 && span.name.startsWith('pg.query:')) add(`${span.service} sql ${span.name.slice('pg.query:'.length).split(' ')[0]}`, span.durationMs);
    if (span.kind === 5) {
      add(`${span.service} handles ${shortName(span.name)}`, span.durationMs);
      if (parent?.kind === 4) add(`kafka ${shortName(parent.name)} → ${span.service}`, span.startMs - (parent.startMs + parent.durationMs));
    }
    if (span.kind === 4 && parent) {
      // The appending work is the root of its service's part (the server or consumer span): the event waits from its end.
      let appender: CollectedSpan | undefined = parent;
      while (appender && appender.kind !== 2 && appender.kind !== 5 && appender.parentSpanId) appender = byId.get(appender.parentSpanId);
      if (appender) add(`outbox ${shortName(span.name)} (${span.service})`, span.startMs - (appender.startMs + appender.durationMs));
    }
  }
  return [...samples.entries()]
    .map(([hop, values]) => {
      const sorted = values.sort((a, b) => a - b);
      return { hop, count: sorted.length, p50Ms: Math.round(nearestRank(sorted, 50) * 10) / 10, p99Ms: Math.round(nearestRank(sorted, 99) * 10) / 10 };
    })
    .sort((a, b) => b.p50Ms * b.count - a.p50Ms * a.count);
}

/** The breakdown as lines for a benchmark's output. */
export function printHopBreakdown(title: string, timings: HopTiming[], log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): void {
  log(`${title}: per hop, p50 / p99 (count), most time first`);
  for (const t of timings) log(`  ${t.hop.padEnd(64)} ${String(t.p50Ms).padStart(8)} / ${String(t.p99Ms).padStart(8)} ms  (${t.count})`);
}
