/**
 * A failure the caller can act on, with a stable machine-readable `code` (snake_case) and the
 * HTTP status it maps to. Each domain defines its own codes; the filter renders them as
 * application/problem+json. `detail` must never contain a code's plaintext or a secret.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  field: string;
  messages: string[];
}

export class ValidationFailedError extends DomainError {
  constructor(readonly fields: FieldProblem[]) {
    super('validation_failed', 400, `The request has ${fields.length} invalid field(s).`, { errors: fields });
  }
}

/** Codes shared by every service; domains add their own. */
export const CommonErrorCodes = {
  ValidationFailed: 'validation_failed',
  MalformedJson: 'malformed_json',
  PayloadTooLarge: 'payload_too_large',
  BodyTooDeep: 'body_too_deep',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  RateLimited: 'rate_limited',
  Internal: 'internal_error',
  ServiceUnavailable: 'service_unavailable',
} as const;
