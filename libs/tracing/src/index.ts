import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/*
 * OpenTelemetry tracing for Kami's services: one order, or one pull, is one trace across every
 * service it touches. HTTP carries the W3C `traceparent` (the http instrumentation injects and
 * extracts it); Kafka events carry it in their headers (the outbox keeps it with the event, the
 * consumer continues it: see the platform's outbox and EventConsumer). Spans go to an OTLP/HTTP
 * collector when the standard variables name one — OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_TRACES_SAMPLER(_ARG), OTEL_SERVICE_NAME — and
 * nothing is recorded otherwise. Spans never carry a request or message body, so no plaintext.
 */

let provider: NodeTracerProvider | undefined;

/** Whether the standard environment asks for traces to be exported. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/**
 * Starts the tracer for `service` when an OTLP endpoint is configured. Must run before the modules
 * it instruments (http, pg) are loaded: a service's main imports its `tracing.ts` first.
 */
export function startTracing(service: string): void {
  if (provider || !tracingConfigured()) return;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? `kami-${service}`, 'service.namespace': 'kami' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 })],
  });
  provider.register();
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not what anyone traces.
        ignoreIncomingRequestHook: (request) => /^\/(health|metrics)/.test(request.url ?? ''),
        // The collector's own traffic must not trace itself.
        ignoreOutgoingRequestHook: (request) => (request.path ?? '').startsWith('/v1/traces'),
      }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
}

/** Sends the spans still buffered (at shutdown). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush().catch(() => undefined);
}

/** The current trace context as W3C headers (`traceparent`, `tracestate`), to keep beside an event. */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

const tracer = () => trace.getTracer('kami');

/**
 * Runs `work` in a span of `kind` that continues the trace named by `headers` (W3C; none: a new
 * trace). The span ends when `work` settles, marked as an error if it throws.
 */
export async function inSpan<T>(
  name: string,
  kind: 'producer' | 'consumer' | 'internal',
  headers: Record<string, string | undefined> | undefined,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = headers ? propagation.extract(context.active(), headers) : context.active();
  const spanKind = kind === 'producer' ? SpanKind.PRODUCER : kind === 'consumer' ? SpanKind.CONSUMER : SpanKind.INTERNAL;
  return tracer().startActiveSpan(name, { kind: spanKind, attributes }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span begun now and ended by the caller: for work that does not fit one callback (a batch publish). */
export interface OpenSpan {
  /** The span's context as W3C headers, for the message it sends on. */
  headers: Record<string, string>;
  end(failed?: boolean): void;
}

/** Begins a span of `kind` continuing the trace named by `headers` (none: a new trace). */
export function beginSpan(name: string, kind: 'producer' | 'consumer', headers: Record<string, string> | null | undefined, attributes: Attributes): OpenSpan {
  const parent = headers ? propagation.extract(context.active(), headers) : context.active();
  const span = tracer().startSpan(name, { kind: kind === 'producer' ? SpanKind.PRODUCER : SpanKind.CONSUMER, attributes }, parent);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return {
    headers: carrier,
    end: (failed = false) => {
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
