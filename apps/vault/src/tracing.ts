import { startTracing } from '@kami/tracing';

// Imported first by main.ts: tracing instruments http and pg as they load (only when OTEL_EXPORTER_OTLP_ENDPOINT is set).
startTracing('vault');
