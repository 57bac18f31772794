import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { EventEnvelope } from '../envelope/event-envelope';
import type { EventDefinition } from './event-definition';
import { OfferChanged } from './catalog/offer-changed.event';
import { ProductChanged } from './catalog/product-changed.event';
import { OrganisationRegistered } from './identity/organisation-registered.event';
import { CredentialRevoked } from './identity/credential-revoked.event';
import { StockChanged } from './vault/stock-changed.event';
import { StockLow } from './vault/stock-low.event';
import { AllocationFailed, CodesAllocated, ReservationReleased, StockRejected, StockReserved } from './vault/allocation.events';
import { OrderCancelled, OrderPlaced } from './ordering/order.events';
import { PaymentCaptured, PaymentFailed } from './settlement/payment.events';
import { DepositStatusChanged, WalletChanged } from './settlement/wallet.events';
import { RefundCompleted, RefundRefused } from './settlement/refund.events';
import { RefundRequested } from './delivery/dispute.events';
import { ReplacementRequested } from './delivery/dispute-replacement.events';
import { ReplacementAllocated, ReplacementFailed } from './vault/replacement.events';
import { OrderDelivered } from './delivery/order-delivery.events';
import { PurchasedStockLow, RestockPlaced, RestockRefused, RestockRequested } from './delivery/restock.events';

/** Every event type Kami publishes. A consumer refuses (dead-letters) a type it cannot validate. */
export const ALL_EVENTS: readonly EventDefinition[] = [
  OrganisationRegistered,
  CredentialRevoked,
  ProductChanged,
  OfferChanged,
  StockChanged,
  StockLow,
  StockReserved,
  StockRejected,
  CodesAllocated,
  AllocationFailed,
  ReservationReleased,
  OrderPlaced,
  OrderCancelled,
  PaymentCaptured,
  PaymentFailed,
  WalletChanged,
  DepositStatusChanged,
  RefundCompleted,
  RefundRefused,
  RefundRequested,
  ReplacementRequested,
  ReplacementAllocated,
  ReplacementFailed,
  OrderDelivered,
  PurchasedStockLow,
  RestockRequested,
  RestockPlaced,
  RestockRefused,
];

export type EventValidationResult<P extends object> =
  | { ok: true; envelope: EventEnvelope<P> }
  | { ok: false; reason: string };

/** Lists the failed constraints as `field: message` lines, without echoing values. */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => `${field}: ${message}`);
    return [...own, ...describeValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Validates a raw message value (already JSON-parsed) against the envelope and the payload
 * class of the expected event definitions. Unknown properties in the payload are refused.
 */
export async function validateEvent<P extends object>(
  raw: unknown,
  definitions: readonly EventDefinition<P>[],
): Promise<EventValidationResult<P>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'envelope is not a JSON object' };
  }
  const envelope = plainToInstance(EventEnvelope, raw) as EventEnvelope<P>;
  const envelopeErrors = await validate(envelope, { forbidUnknownValues: true });
  if (envelopeErrors.length > 0) {
    return { ok: false, reason: `invalid envelope: ${describeValidationErrors(envelopeErrors).join('; ')}` };
  }
  const definition = definitions.find((d) => d.type === envelope.type);
  if (!definition) {
    return { ok: false, reason: `unexpected event type ${JSON.stringify(envelope.type).slice(0, 100)}` };
  }
  const payload = plainToInstance(definition.payload, envelope.payload);
  const payloadErrors = await validate(payload, { whitelist: true, forbidNonWhitelisted: true });
  if (payloadErrors.length > 0) {
    return { ok: false, reason: `invalid ${definition.type} payload: ${describeValidationErrors(payloadErrors).join('; ')}` };
  }
  envelope.payload = payload;
  return { ok: true, envelope };
}
