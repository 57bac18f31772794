import { HttpException, Logger, type ArgumentsHost } from '@nestjs/common';
import { DomainError, ValidationFailedError } from './domain-error';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsFilter, toProblem } from './problem-details.filter';

const loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

describe('toProblem', () => {
  it('renders a DomainError with its status, stable code, detail and extensions', () => {
    const error = new DomainError('insufficient_funds', 402, 'The wallet holds less than the order total.', {
      balanceMinor: 1200,
      currency: 'CNY',
    });
    expect(toProblem(error, 'req-123')).toEqual({
      type: 'https://kami.dev/problems/insufficient-funds',
      title: 'Payment Required',
      status: 402,
      code: 'insufficient_funds',
      detail: 'The wallet holds less than the order total.',
      balanceMinor: 1200,
      currency: 'CNY',
      requestId: 'req-123',
    });
  });

  it('lists every invalid field of a ValidationFailedError', () => {
    const problem = toProblem(
      new ValidationFailedError([
        { field: 'quantity', messages: ['quantity must not be less than 1'] },
        { field: 'tiers.0.price', messages: ['price must be an integer number'] },
      ]),
    );
    expect(problem).toMatchObject({ status: 400, code: 'validation_failed', title: 'Bad Request' });
    expect(problem.errors).toEqual([
      { field: 'quantity', messages: ['quantity must not be less than 1'] },
      { field: 'tiers.0.price', messages: ['price must be an integer number'] },
    ]);
    expect(problem).not.toHaveProperty('requestId');
  });

  it("maps body-parser's entity.parse.failed to 400 malformed_json without echoing the body", () => {
    const parserError = Object.assign(new SyntaxError(`Unexpected token } in JSON at position 12: {"pin":"1234-SECRET"`), {
      type: 'entity.parse.failed',
      status: 400,
      body: '{"pin":"1234-SECRET"',
    });
    const problem = toProblem(parserError, 'req-1');
    expect(problem).toMatchObject({ status: 400, code: 'malformed_json', title: 'Bad Request', requestId: 'req-1' });
    expect(JSON.stringify(problem)).not.toContain('1234-SECRET');
  });

  it("maps body-parser's entity.too.large to 413 payload_too_large", () => {
    const problem = toProblem(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 }));
    expect(problem).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it("answers what body-parser refused even when Nest's Express adapter wrapped it in an HttpException (its cause)", () => {
    const tooDeep = new HttpException('wrapped', 400, { cause: new DomainError('body_too_deep', 400, 'The request body nests objects and arrays deeper than 32 levels.') });
    expect(toProblem(tooDeep)).toMatchObject({ status: 400, code: 'body_too_deep' });
    const broken = new HttpException('Unexpected token', 400, { cause: Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }) });
    expect(toProblem(broken)).toMatchObject({ status: 400, code: 'malformed_json' });
  });

  it('maps an HttpException to its status with a stable code', () => {
    expect(toProblem(new HttpException('Cannot GET /nowhere', 404))).toMatchObject({ status: 404, code: 'not_found', detail: 'Cannot GET /nowhere' });
    expect(toProblem(new HttpException({ message: 'Too many requests' }, 429))).toMatchObject({ status: 429, code: 'rate_limited' });
    // A 5xx HttpException keeps its message to itself.
    const upstream = toProblem(new HttpException('upstream said: password=hunter2', 502));
    expect(upstream).toMatchObject({ status: 502, code: 'http_502' });
    expect(JSON.stringify(upstream)).not.toContain('hunter2');
  });

  it('hides an unknown error behind 500 internal_error', () => {
    const problem = toProblem(new Error('connect ECONNREFUSED postgres://kami:db-pass@10.0.0.5/vault'), 'req-9');
    expect(problem).toMatchObject({ status: 500, code: 'internal_error', title: 'Internal Server Error', requestId: 'req-9' });
    expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|db-pass|10\.0\.0\.5/);
    expect(toProblem('a thrown string')).toMatchObject({ status: 500, code: 'internal_error' });
    expect(toProblem(undefined)).toMatchObject({ status: 500, code: 'internal_error' });
  });
});

describe('ProblemDetailsFilter', () => {
  function httpHost(request: Record<string, unknown>) {
    // Shaped like node's ServerResponse: the filter writes with statusCode, setHeader and end.
    const sent: { status?: number; type?: string; body?: string; headers: Record<string, string> } = { headers: {} };
    const response = {
      headersSent: false,
      set statusCode(code: number) {
        sent.status = code;
      },
      setHeader: (name: string, value: string) => {
        sent.headers[name.toLowerCase()] = value;
        if (name.toLowerCase() === 'content-type') sent.type = value;
      },
      end: (body: string) => void (sent.body = body),
    };
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }),
    } as unknown as ArgumentsHost;
    return { host, sent };
  }

  beforeEach(() => {
    loggedErrors.mockClear();
  });

  it('sends application/problem+json with the instance path, request id and Retry-After', () => {
    const { host, sent } = httpHost({ id: 'req-77', originalUrl: '/api/v1/orders?cursor=abc' });
    new ProblemDetailsFilter().catch(new DomainError('rate_limited', 429, 'Slow down.', { retryAfterSeconds: 7 }), host);
    expect(sent.status).toBe(429);
    expect(sent.type).toBe(PROBLEM_CONTENT_TYPE);
    expect(sent.headers['retry-after']).toBe('7');
    expect(JSON.parse(sent.body!)).toMatchObject({ status: 429, code: 'rate_limited', instance: '/api/v1/orders', requestId: 'req-77' });
    expect(loggedErrors).not.toHaveBeenCalled();
  });

  it('logs an unknown error for operators while the client sees only internal_error', () => {
    const { host, sent } = httpHost({ id: 'req-78', originalUrl: '/api/v1/wallet' });
    const error = new Error('ledger out of balance by 3 fen');
    new ProblemDetailsFilter().catch(error, host);
    expect(sent.status).toBe(500);
    expect(sent.body).not.toContain('ledger out of balance');
    expect(loggedErrors).toHaveBeenCalledTimes(1);
    expect(loggedErrors.mock.calls[0]![0]).toMatchObject({ err: error, requestId: 'req-78' });
  });
});
