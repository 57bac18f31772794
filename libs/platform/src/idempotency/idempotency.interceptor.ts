import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Logger as PinoLogger } from 'pino';
import { defer, from, lastValueFrom, mergeMap, of, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import type { RequestWithIdentity } from '../auth/access';
import type { ServiceConfig } from '../config/service-config';
import { DomainError, ValidationFailedError } from '../errors/domain-error';
import { toProblem, type ProblemDetails } from '../errors/problem-details.filter';
import { ROOT_LOGGER, SERVICE_CONFIG } from '../platform.tokens';
import { fingerprintKeyFrom, requestFingerprint } from './fingerprint';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  idempotencyKeyRequired,
  idempotencyKeyReused,
  idempotencyRequestInProgress,
  parseIdempotencyKey,
} from './idempotency-key';
import { DEFAULT_IDEMPOTENCY_LOCK_SECONDS, IdempotencyStore, type IdempotencyClaim } from './idempotency.store';

export const IDEMPOTENCY_OPTIONS = 'kami:idempotency';

export interface IdempotentOptions {
  /** Refuse a request without the header (400 `idempotency_key_required`). Default: the header is optional. */
  required?: boolean;
  /** How long the first request's claim holds without being extended (it is extended while the handler runs). */
  lockSeconds?: number;
}

/** A problem+json body stored for replay, back into the error the problem filter renders. */
function replayedError(status: number, body: unknown): DomainError {
  const { type: _type, title: _title, status: _status, code, detail, instance: _instance, requestId: _requestId, ...extensions } =
    (body ?? {}) as Partial<ProblemDetails>;
  return new DomainError(typeof code === 'string' ? code : `http_${status}`, status, typeof detail === 'string' ? detail : '', extensions);
}

/**
 * Failures that are the answer to this request and are replayed like a success. Not: 5xx and
 * unexpected errors (retrying may succeed), 429 (transient), `validation_failed` (nothing ran;
 * the client may fix the body and retry with the same key, as with Stripe).
 */
function isReplayableFailure(error: unknown): error is DomainError {
  return error instanceof DomainError && error.status >= 400 && error.status < 500 && error.status !== 429 && !(error instanceof ValidationFailedError);
}

/** The JSON that goes over the wire for a handler's result (dates as strings, undefined left out). */
function asStoredJson(body: unknown): unknown {
  return body === undefined ? null : (JSON.parse(JSON.stringify(body)) as unknown);
}

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly store: IdempotencyStore;
  private readonly fingerprintKey: Buffer;
  private readonly logger: PinoLogger;

  constructor(
    private readonly reflector: Reflector,
    dataSource: DataSource,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    @Inject(ROOT_LOGGER) rootLogger: PinoLogger,
  ) {
    this.logger = rootLogger.child({ component: 'idempotency' });
    this.store = new IdempotencyStore(dataSource, { logger: this.logger });
    this.fingerprintKey = fingerprintKeyFrom(config.IDEMPOTENCY_FINGERPRINT_KEY);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.getAllAndOverride<IdempotentOptions | undefined>(IDEMPOTENCY_OPTIONS, [context.getHandler(), context.getClass()]);
    if (context.getType() !== 'http' || !options) return next.handle();
    return defer(() => from(this.decide(context, next, options))).pipe(mergeMap((answer) => answer));
  }

  private async decide(context: ExecutionContext, next: CallHandler, options: IdempotentOptions): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<RequestWithIdentity>();
    const response = context.switchToHttp().getResponse<Response>();
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]);
    if (key === undefined) {
      if (options.required) throw idempotencyKeyRequired();
      return next.handle();
    }
    const identity = request.identity;
    if (!identity) {
      // A programming error (an @Idempotent public route): unscoped keys would let one caller read another's response.
      throw new Error(`@Idempotent() needs an authenticated caller (keys are scoped to the organisation): ${context.getClass().name}.${context.getHandler().name}`);
    }
    const template = (request.route as { path?: unknown } | undefined)?.path;
    const path = typeof template === 'string' ? template : `${context.getClass().name}.${context.getHandler().name}`;
    const scope = { organisationId: identity.organisationId, route: `${request.method} ${path}`, key };
    const fingerprint = requestFingerprint(
      { method: request.method, route: path, params: request.params, query: request.query, body: request.body },
      this.fingerprintKey,
    );
    const lockSeconds = options.lockSeconds ?? DEFAULT_IDEMPOTENCY_LOCK_SECONDS;

    const outcome = await this.store.begin(scope, fingerprint, lockSeconds);
    switch (outcome.kind) {
      case 'mismatch':
        throw idempotencyKeyReused();
      case 'in_progress':
        throw idempotencyRequestInProgress(1);
      case 'replay':
        response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
        if (outcome.status >= 400) throw replayedError(outcome.status, outcome.body);
        response.status(outcome.status);
        return of(outcome.body);
      case 'claimed':
        // A promise, not an rxjs chain: the response is stored (or the key released) even if the
        // client goes away and Nest unsubscribes.
        return from(this.runClaimed(outcome.claim, next, response, lockSeconds));
    }
  }

  private async runClaimed(claim: IdempotencyClaim, next: CallHandler, response: Response, lockSeconds: number): Promise<unknown> {
    const heartbeat = setInterval(() => {
      void this.store.extend(claim, lockSeconds).then(
        (held) => {
          if (!held) this.logger.warn({ route: claim.scope.route, organisationId: claim.scope.organisationId }, 'idempotency: claim lost while the request ran');
        },
        (error: unknown) => this.logger.warn({ err: error, route: claim.scope.route }, 'idempotency: extending a claim failed'),
      );
    }, (lockSeconds * 1000) / 3);
    heartbeat.unref();
    try {
      let body: unknown;
      try {
        body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      } catch (error) {
        if (isReplayableFailure(error)) {
          // Nest has set the route's status already; the stored one is the error's.
          await this.settle(claim, 'complete', () => this.store.complete(claim, error.status, toProblem(error)));
        } else {
          await this.settle(claim, 'release', () => this.store.release(claim));
        }
        throw error;
      }
      // Nest sets the route's status (201 for POST, or @HttpCode) before interceptors run.
      await this.settle(claim, 'complete', () => this.store.complete(claim, response.statusCode, asStoredJson(body)));
      return body;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Completing or releasing never fails the request: the handler's work is done. If it cannot be
   * recorded, the claim lapses after lockSeconds and a retry runs the handler again (see `Idempotent`).
   */
  private async settle(claim: IdempotencyClaim, action: 'complete' | 'release', write: () => Promise<boolean>): Promise<void> {
    const where = { route: claim.scope.route, organisationId: claim.scope.organisationId };
    try {
      if (!(await write())) this.logger.warn(where, `idempotency: could not ${action} the key, its claim had lapsed and was taken over`);
    } catch (error) {
      this.logger.error({ ...where, err: error }, `idempotency: could not ${action} the key; it is retried after its claim lapses`);
    }
  }
}

/**
 * Makes a route honour `Idempotency-Key` (Stripe; IETF draft-ietf-httpapi-idempotency-key-header):
 * `@Idempotent()` on a POST that creates something, `@Idempotent({ required: true })` where a
 * retry without a key would be dangerous (orders). Put it on route methods of a service built on
 * `PlatformModule.forRoot` (which provides the database, the caller's identity and problem+json);
 * the route must return its JSON body (no `@Res()` without passthrough, no streams).
 *
 * - A key is 1–255 printable ASCII characters, scoped to the caller's organisation and the route
 *   (method and path template); it is remembered for at least 24 h after its request completes.
 * - The first request claims the key and runs; its response is stored: successes and 4xx domain
 *   errors. A 5xx or unexpected error — and a refused DTO (`validation_failed`, the request never
 *   began) — releases the key, so the client may retry with it.
 * - The same key with the same request (method, path, query, canonical JSON body) answers the
 *   stored status and body with `Idempotent-Replayed: true`; the handler does not run again.
 * - The same key with a different request: 422 `idempotency_key_reused`.
 * - The same key while the first request runs: 409 `idempotency_request_in_progress` with
 *   `Retry-After: 1`. A claim its holder stopped extending (the process died) is taken over.
 *
 * What this does NOT guarantee — read before relying on it for money or stock: the stored
 * response is written in its own statement after the handler's transaction has committed. If the
 * process dies between the two, the claim lapses (after `lockSeconds`) and the client's retry runs
 * the handler a second time. Handlers that must act strictly once (orders, payments) must also
 * key their own rows (e.g. a unique (organisation, idempotency key) column written in the same
 * transaction as the effect); this kit then only saves them the work of answering retries.
 *
 * Stored responses live in the service's own database (`platform_idempotency`) and are never
 * logged; they include whatever the first response showed, so never put this on a route whose response
 * carries a secret shown once (API key creation): the secret would sit here in plain text.
 */
export const Idempotent = (options: IdempotentOptions = {}): MethodDecorator =>
  applyDecorators(
    SetMetadata(IDEMPOTENCY_OPTIONS, options),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: options.required ?? false,
      description:
        'A unique value (e.g. a UUID, 1–255 printable ASCII characters) to retry this request safely: for 24 h the same key with the same ' +
        'body answers the first response again (header Idempotent-Replayed: true); with a different body 422 idempotency_key_reused; ' +
        'while the first request still runs 409 idempotency_request_in_progress with Retry-After.',
    }),
  ) as MethodDecorator;
