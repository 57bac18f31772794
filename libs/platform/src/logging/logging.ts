import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, type Params } from 'nestjs-pino';
import pino, { type Logger as PinoLogger, type LoggerOptions } from 'pino';
import type { DynamicModule } from '@nestjs/common';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Paths pino censors wherever they appear: credentials, secrets and anything that may hold a
 * code's plaintext. Fields carrying plaintext are always named `plaintext`, `pin` or `secret`.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-kami-identity"]',
  'res.headers["set-cookie"]',
  'password',
  'plaintext',
  'pin',
  'secret',
  'apiKey',
  'accessToken',
  '*.password',
  '*.plaintext',
  '*.pin',
  '*.secret',
  '*.apiKey',
  '*.accessToken',
  '*.token',
  '*.codes[*].plaintext',
  '*.codes[*].pin',
];

export function baseLoggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** A JSON logger for code outside Nest's request scope (scripts, Kafka clients). */
export function createLogger(service: string, level = 'info'): PinoLogger {
  return pino(baseLoggerOptions(service, level));
}

function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && /^[\w.:-]{8,128}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** nestjs-pino with request ids (taken from `x-request-id` or made), JSON output and redaction. */
export function createLoggingModule(service: string, level: string): DynamicModule {
  const params: Params = {
    pinoHttp: {
      ...baseLoggerOptions(service, level),
      genReqId: requestIdOf,
      customProps: (req) => ({ traceId: (req as IncomingMessage & { id?: string }).id }),
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
  return LoggerModule.forRoot(params);
}
