import type { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  MAX_STOCK_PULLS_PER_BATCH,
  STOCK_PULL_BATCH_PATH,
  type StockPullBatchEntry,
  type StockPullBatchOutcome,
  type StockPullBatchResponse,
} from '@kami/contracts';
import {
  bodyDigest,
  DomainError,
  GroupCommitter,
  hasBody,
  InternalHttpClient,
  IDEMPOTENCY_KEY_HEADER,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parsePrivateKey,
  SERVICE_CONFIG,
  SERVICE_TOKEN_HEADER,
  sendProblem,
  signServiceToken,
  toProblem,
  type Identity,
  type ProblemDetails,
} from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';

/** `POST /api/v1/stock/{productId}/pull`, exactly (any other spelling goes through the proxy, answered by delivery alone). */
const PULL_PATH = /^\/api\/v1\/stock\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\/pull$/;
/**
 * Batches to delivery in flight at once, and how long the second gathers pulls before it leaves
 * (one in flight: delivery idles while the gateway gathers; two leaving at once: the second
 * carries one pull). Measured with bench:pull, 32 storefronts.
 */
const BATCHES_IN_FLIGHT = 2;
const GATHER_MS = 3;
const BATCH_TIMEOUT_MS = 30_000;

type PullRequest = Request & { id?: string; identity?: Identity };

/**
 * Storefront pulls, grouped. A pull is small and its HTTP hop to delivery cost more than its claim,
 * so the pulls that reach the gateway together go to delivery as one request (group commit: under
 * light load a pull goes alone, at once; while one request is out, the next gathers). The gateway
 * signs that request as a service (with its identity key) and puts in each pull the identity it
 * verified; delivery answers each pull as its public route would answer it alone, and each answer
 * is written to its own client. What a client sees is the same: status, problem document, headers.
 *
 * Only well-formed pulls are grouped (the exact path, no body, a key of a sane length), so that
 * no client can make a whole batch fail: anything else is proxied and refused by delivery alone.
 * The answers hold plaintext: never logged.
 */
@Injectable()
export class StockPullBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(StockPullBatcher.name);
  private readonly client = new InternalHttpClient({ timeoutMs: BATCH_TIMEOUT_MS, maxFreeSockets: BATCHES_IN_FLIGHT });
  private readonly signingKey: KeyObject;
  private readonly deliveryUrl: URL;
  private readonly batches = new GroupCommitter<StockPullBatchEntry, StockPullBatchOutcome>((pulls) => this.send(pulls), {
    maxBatch: MAX_STOCK_PULLS_PER_BATCH,
    maxInFlight: BATCHES_IN_FLIGHT,
    gatherMs: GATHER_MS,
  });

  constructor(@Inject(SERVICE_CONFIG) config: GatewayConfig) {
    this.signingKey = parsePrivateKey(config.GATEWAY_IDENTITY_PRIVATE_KEY);
    this.deliveryUrl = new URL(`${config.DELIVERY_URL.replace(/\/$/, '')}${STOCK_PULL_BATCH_PATH}`);
  }

  /** The product of a pull this gateway groups, or undefined: proxy it. */
  productOf(req: PullRequest): string | undefined {
    if (req.method !== 'POST' || !req.identity || hasBody(req)) return undefined;
    const key = req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
    if (typeof key === 'string' && key.length > MAX_IDEMPOTENCY_KEY_LENGTH + 2) return undefined;
    return PULL_PATH.exec(req.originalUrl)?.[1];
  }

  /** Answers the pull (one productOf accepted) through the next batch. */
  async pull(req: PullRequest, res: Response, productId: string): Promise<void> {
    const { organisationId, organisationType, principalType, principalId, roles } = req.identity!;
    const key = req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
    let outcome: StockPullBatchOutcome;
    try {
      outcome = await this.batches.submit({
        identity: { organisationId, organisationType, principalType, principalId, roles },
        productId,
        idempotencyKey: typeof key === 'string' ? key : null,
        ...(req.id ? { requestId: req.id } : {}),
      });
    } catch (error) {
      outcome = { status: 503, problem: toProblem(error, req.id) };
    }
    if (res.headersSent || res.writableEnded) return;
    if ('problem' in outcome) return sendProblem(res, outcome.problem as ProblemDetails, req.originalUrl);
    res.statusCode = 200;
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(outcome.body));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.batches.close();
    this.client.close();
  }

  /** One request to delivery for the batch; any failure fails every pull of it with 503 (a retried key answers the same code). */
  private async send(pulls: StockPullBatchEntry[]): Promise<StockPullBatchOutcome[]> {
    const body = JSON.stringify({ pulls });
    const token = signServiceToken('gateway', 'delivery', { method: 'POST', path: STOCK_PULL_BATCH_PATH, bodyDigest: bodyDigest(body) }, this.signingKey);
    let answer: { status: number; text: string };
    try {
      answer = await this.client.post(this.deliveryUrl, body, { [SERVICE_TOKEN_HEADER]: token });
    } catch (error) {
      this.logger.warn({ err: error, pulls: pulls.length }, 'delivery unavailable for a pull batch');
      throw deliveryUnavailable();
    }
    if (answer.status !== 200) {
      // Its status only: a refused batch names no code, but its body is not the gateway's to log.
      this.logger.warn({ status: answer.status, pulls: pulls.length }, 'delivery refused a pull batch');
      throw deliveryUnavailable();
    }
    const outcomes = (JSON.parse(answer.text) as StockPullBatchResponse).pulls;
    if (!Array.isArray(outcomes) || outcomes.length !== pulls.length) throw deliveryUnavailable();
    return outcomes;
  }
}

const deliveryUnavailable = (): DomainError => new DomainError('service_unavailable', 503, 'The delivery service is not answering; try again shortly.');
