import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { CommonErrorCodes, DomainError } from './domain-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: CommonErrorCodes.Unauthenticated,
  403: CommonErrorCodes.Forbidden,
  404: CommonErrorCodes.NotFound,
  405: 'method_not_allowed',
  413: CommonErrorCodes.PayloadTooLarge,
  415: 'unsupported_media_type',
  429: CommonErrorCodes.RateLimited,
};

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/** Maps any thrown value to a problem+json body. Unknown errors become a 500 that hides internals. */
export function toProblem(error: unknown, requestId?: string): ProblemDetails {
  // Extensions first, so no extension can overwrite the core fields.
  const base = (status: number, code: string, detail?: string, extensions: Record<string, unknown> = {}): ProblemDetails => ({
    ...extensions,
    type: `https://kami.dev/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    ...(detail ? { detail } : {}),
    ...(requestId ? { requestId } : {}),
  });

  if (error instanceof DomainError) return base(error.status, error.code, error.detail, error.extensions);

  // Nest's Express adapter wraps what body-parser passes on (our own refusals from its `verify`
  // hook included) in an HttpException, keeping the original as its cause: answer the original.
  if (error instanceof HttpException && error.cause !== undefined && error.cause !== error) {
    const cause = error.cause as BodyParserError;
    if (cause instanceof DomainError || cause?.type === 'entity.parse.failed' || cause?.type === 'entity.too.large') return toProblem(cause, requestId);
  }

  const parserError = error as BodyParserError;
  if (parserError?.type === 'entity.parse.failed') {
    return base(400, CommonErrorCodes.MalformedJson, 'The request body is not valid JSON.');
  }
  if (parserError?.type === 'entity.too.large') {
    return base(413, CommonErrorCodes.PayloadTooLarge, 'The request body is too large.');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : typeof (response as { message?: unknown }).message === 'string'
          ? ((response as { message: string }).message)
          : error.message;
    return base(status, HTTP_CODES[status] ?? `http_${status}`, status >= 500 ? undefined : message);
  }
  return base(500, CommonErrorCodes.Internal, 'Something went wrong on our side; quote the requestId when reporting it.');
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { id?: string }>();
    if (host.getType() !== 'http' || !response || response.headersSent) return;
    const requestId = typeof request.id === 'string' ? request.id : undefined;
    const problem = toProblem(error, requestId);
    if (problem.status >= HttpStatus.INTERNAL_SERVER_ERROR && !(error instanceof DomainError)) {
      this.logger.error({ err: error, requestId }, 'unhandled error');
    }
    sendProblem(response, problem, request.originalUrl);
  }
}

/**
 * Writes a problem to a plain Node/Express response (also used outside Nest's filter chain,
 * e.g. by the gateway's proxy and rate limiter). A `retryAfterSeconds` extension becomes the
 * Retry-After header.
 */
export function sendProblem(response: ServerResponse, problem: ProblemDetails, url?: string): void {
  if (typeof problem['retryAfterSeconds'] === 'number') response.setHeader('Retry-After', String(problem['retryAfterSeconds']));
  response.statusCode = problem.status;
  response.setHeader('content-type', PROBLEM_CONTENT_TYPE);
  response.end(JSON.stringify({ ...problem, ...(url ? { instance: url.split('?')[0] } : {}) }));
}
