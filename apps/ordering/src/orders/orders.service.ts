import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { OrderPlaced } from '@kami/contracts';
import { canonicalJson, Messaging, type CursorPage, type Identity } from '@kami/platform';
import { Projections } from '../projections/projections';
import { quoteOrder, type Quote, type RequestedLine } from '../routing/order-routing';
import { externalRefTaken, idempotencyKeyReused, insufficientBalance, orderNotCancellable, orderNotFound, quoteRefused } from '../ordering.errors';
import type { CreateOrderDto, ListOrdersQuery, OrderDto, OrderQuoteDto, QuoteOrderDto } from './order.dto';
import { isCancellable, TERMINAL_STATUSES } from './order-state';
import { OrderStatusWatch } from './order-status-watch';
import { OrderStore, type OrderRecord } from './order-store';

/** What the client sees of an order (its idempotency key and request fingerprint stay inside). */
export function toOrderDto(order: OrderRecord): OrderDto {
  const { idempotencyKey: _key, requestFingerprint: _fingerprint, ...visible } = order;
  return visible;
}

/** The order request's identity for its Idempotency-Key: the canonical JSON of the validated body. */
function fingerprintOf(body: CreateOrderDto): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

const isUniqueViolation = (error: unknown, constraint: string): boolean =>
  error instanceof QueryFailedError && (error.driverError as { code?: string; constraint?: string }).code === '23505' && (error.driverError as { constraint?: string }).constraint === constraint;

@Injectable()
export class OrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly projections: Projections,
    private readonly store: OrderStore,
    private readonly statusWatch: OrderStatusWatch,
  ) {}

  /**
   * Quotes from ordering's projections and places the order: the order, its routed lines, its
   * first transition and ordering.order.placed commit together or not at all. A refusal stores
   * nothing. The order row carries the Idempotency-Key, so a retry finds it even when the
   * platform's stored response was lost.
   */
  async create(identity: Identity, body: CreateOrderDto, idempotencyKey: string, traceId?: string): Promise<OrderDto> {
    const buyerId = identity.organisationId;
    const fingerprint = fingerprintOf(body);
    try {
      // ordering.order.placed goes out as soon as the order commits.
      return await this.messaging.transaction(async (manager) => {
        // Two requests with one key never place two orders side by side.
        await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`order-key:${buyerId}:${idempotencyKey}`]);
        const earlier = await this.store.find(manager, { buyerId, idempotencyKey }, true);
        if (earlier) {
          if (earlier.requestFingerprint !== fingerprint) throw idempotencyKeyReused();
          return toOrderDto(earlier);
        }
        if (body.externalRef !== undefined) {
          const taken = await this.store.find(manager, { buyerId, externalRef: body.externalRef });
          if (taken) throw externalRefTaken(taken.id);
        }
        return this.place(manager, buyerId, body, idempotencyKey, fingerprint, traceId);
      });
    } catch (error) {
      if (body.externalRef !== undefined && isUniqueViolation(error, 'purchase_order_external_ref')) {
        const taken = await this.store.find(this.dataSource.manager, { buyerId, externalRef: body.externalRef });
        throw externalRefTaken(taken?.id ?? '');
      }
      throw error;
    }
  }

  /**
   * What placing these lines would make, from the same projections and rules as placing, storing
   * nothing: the routed lines, the total and whether the buyer's known balance covers it. A
   * refusal is the same problem placing would answer; a balance too low is reported, not refused.
   */
  async quote(identity: Identity, body: QuoteOrderDto): Promise<OrderQuoteDto> {
    const { quote, balance } = await this.priced(this.dataSource.manager, identity.organisationId, body.lines);
    return {
      currency: quote.currency,
      total: quote.total,
      lines: quote.lines,
      balance,
      covered: balance === null ? null : balance >= quote.total,
    };
  }

  /** Routes and prices the lines from ordering's projections (a refusal throws its problem), with the buyer's projected balance in the quote's currency (null: unknown). */
  private async priced(manager: EntityManager, buyerId: string, requested: readonly RequestedLine[]): Promise<{ quote: Quote; balance: number | null }> {
    const offerIds = requested.flatMap((l) => (l.offerId !== undefined ? [l.offerId] : []));
    const productIds = requested.flatMap((l) => (l.productId !== undefined ? [l.productId] : []));
    const offers = await this.projections.routableOffers(manager, offerIds, productIds);
    const result = quoteOrder(requested, offers);
    if (!result.ok) throw quoteRefused(result.refusal);
    const balance = await this.projections.walletBalance(manager, buyerId, result.quote.currency);
    return { quote: result.quote, balance };
  }

  private async place(manager: EntityManager, buyerId: string, body: CreateOrderDto, idempotencyKey: string, fingerprint: string, traceId?: string): Promise<OrderDto> {
    const { quote, balance } = await this.priced(manager, buyerId, body.lines);
    // Unknown balance: settlement decides when it charges. Known and too low: refuse now.
    if (balance !== null && balance < quote.total) throw insufficientBalance(balance, quote.total, quote.currency);

    const orderId = randomUUID();
    const lines = quote.lines.map((l) => ({ ...l, id: randomUUID(), allocated: 0, failed: false }));
    const categories = await this.projections.categoryCodes(manager, [...new Set(lines.map((l) => l.productId))]);
    const fulfilment = body.fulfilment ?? 'codes';
    const placed = await this.messaging.outbox.append(manager, OrderPlaced, {
      aggregateId: orderId,
      traceId,
      payload: {
        orderId,
        buyerId,
        currency: quote.currency,
        total: quote.total,
        fulfilment,
        lines: lines.map((l) => ({
          lineId: l.id,
          offerId: l.offerId,
          productId: l.productId,
          quantity: l.quantity,
          supplierId: l.supplierId,
          unitPrice: l.unitPrice,
          categoryCode: categories.get(l.productId),
        })),
      },
    });
    const order = await this.store.insert(
      manager,
      { id: orderId, buyerId, currency: quote.currency, total: quote.total, fulfilment, externalRef: body.externalRef ?? null, idempotencyKey, requestFingerprint: fingerprint, lines },
      placed.id,
    );
    return toOrderDto(order);
  }

  list(identity: Identity, query: ListOrdersQuery): Promise<CursorPage<OrderDto>> {
    return this.store
      .list(this.dataSource.manager, { ...query, buyerId: this.buyerScope(identity), limit: query.limit })
      .then((page) => ({ items: page.items.map(toOrderDto), nextCursor: page.nextCursor }));
  }

  /**
   * One order. With `waitSeconds`, an order that has not ended yet is answered as soon as it
   * ends (or as it is when the wait is over): woken by the saga's status announcements, not by
   * polling the database.
   */
  async get(identity: Identity, orderId: string, waitSeconds = 0): Promise<OrderDto> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      // Waiting starts before the read, so a move committed in between still wakes this request.
      const wait = this.statusWatch.waitFor(orderId, deadline - Date.now());
      const order = await this.store.find(this.dataSource.manager, { id: orderId, buyerId: this.buyerScope(identity) }, true);
      if (!order || TERMINAL_STATUSES.includes(order.status) || Date.now() >= deadline) {
        wait.cancel();
        if (!order) throw orderNotFound();
        return toOrderDto(order);
      }
      await wait.changed;
    }
  }

  /** The buyer cancels an order not yet paid; asking again after it was cancelled that way answers the order. */
  async cancel(identity: Identity, orderId: string): Promise<OrderDto> {
    return this.dataSource.transaction(async (manager) => {
      const rows: { status: string; status_reason: string | null }[] = await manager.query(
        `SELECT status, status_reason FROM purchase_order WHERE id = $1 AND buyer_id = $2 FOR UPDATE`,
        [orderId, identity.organisationId],
      );
      const row = rows[0];
      if (!row) throw orderNotFound();
      const alreadyByBuyer = row.status === 'cancelled' && row.status_reason === 'cancelled_by_buyer';
      if (!alreadyByBuyer) {
        if (!isCancellable(row.status as Parameters<typeof isCancellable>[0])) throw orderNotCancellable(row.status);
        await this.store.apply(manager, orderId, [{ kind: 'cancelled', reason: 'cancelled_by_buyer' }], null);
      }
      return toOrderDto((await this.store.find(manager, { id: orderId }, true))!);
    });
  }

  /** Merchants see their own orders; operators see every order. */
  private buyerScope(identity: Identity): string | undefined {
    return identity.organisationType === 'operator' ? undefined : identity.organisationId;
  }
}
