import type { OrganisationType } from '../events/identity/organisation-registered.event';

/*
 * The gateway's grouped storefront pulls (delivery's internal route): pulls that reach the gateway
 * together go to delivery as one request, signed by the gateway as a service (its identity key),
 * each pull carrying the identity the gateway verified for it. Delivery answers each on its own,
 * exactly as it answers `POST /api/v1/stock/{productId}/pull`, and the gateway writes each answer
 * to its own client.
 */

export const STOCK_PULL_BATCH_PATH = '/internal/v1/stock-pull-batches';

/** Pulls one batch carries at most. */
export const MAX_STOCK_PULLS_PER_BATCH = 200;

/** One pull of the batch: who asked (as the gateway verified), what, with which key. */
export interface StockPullBatchEntry {
  identity: {
    organisationId: string;
    organisationType: OrganisationType;
    principalType: 'user' | 'api_key';
    principalId: string;
    roles: string[];
  };
  productId: string;
  /** The request's Idempotency-Key header as received (delivery parses it); null when absent. */
  idempotencyKey: string | null;
  /** The gateway's request id of that pull, for its problem document and the logs. */
  requestId?: string;
}

export interface StockPullBatchRequest {
  pulls: StockPullBatchEntry[];
}

/** Each pull's answer, in the order asked: 200 and the pulled code, or its problem document. */
export type StockPullBatchOutcome = { status: 200; body: Record<string, unknown> } | { status: number; problem: { status: number; code: string; [member: string]: unknown } };

export interface StockPullBatchResponse {
  pulls: StockPullBatchOutcome[];
}
