import type { OrderCancelReason } from '@kami/contracts';

export const ORDER_STATUSES = ['placed', 'reserved', 'paid', 'allocated', 'delivered', 'cancelled', 'failed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** How far along the happy path a status is; terminal side exits have no rank. */
const PROGRESS: Partial<Record<OrderStatus, number>> = { placed: 0, reserved: 1, paid: 2, allocated: 3, delivered: 4 };

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['delivered', 'cancelled', 'failed'];

/** What happened to an order, whoever reported it. */
export type OrderFact =
  | { kind: 'reserved' }
  | { kind: 'paid' }
  | { kind: 'allocated' }
  | { kind: 'delivered' }
  | { kind: 'cancelled'; reason: OrderCancelReason }
  | { kind: 'failed'; reason: string };

export interface Transition {
  from: OrderStatus;
  to: OrderStatus;
  reason: string | null;
}

/**
 * The order state machine: placed → reserved → paid → allocated → delivered, or cancelled (before
 * payment) or failed (paid, but the vault could not sell the codes).
 *
 * Events arrive over several topics, so their order across topics is not guaranteed (settlement's
 * capture may overtake vault's reservation). A forward fact moves the order forward from any
 * earlier happy-path status, skipping what it overtook; a fact for a status the order has reached
 * or passed, or any fact for a finished order, answers `null`: nothing moves backwards or twice.
 */
export function nextTransition(current: OrderStatus, fact: OrderFact): Transition | null {
  if (TERMINAL_STATUSES.includes(current)) return null;
  const rank = PROGRESS[current]!;
  switch (fact.kind) {
    case 'reserved':
    case 'paid':
    case 'allocated':
    case 'delivered': {
      const target: OrderStatus = fact.kind;
      return PROGRESS[target]! > rank ? { from: current, to: target, reason: null } : null;
    }
    case 'cancelled':
      // Cancelling is only possible before the money is taken.
      return rank < PROGRESS.paid! ? { from: current, to: 'cancelled', reason: fact.reason } : null;
    case 'failed':
      return { from: current, to: 'failed', reason: fact.reason };
  }
}

const HAPPY_PATH: readonly OrderStatus[] = ['placed', 'reserved', 'paid', 'allocated', 'delivered'];

/**
 * The transitions a fact makes, in order. A forward fact that overtook others (vault's commit
 * can reach ordering before settlement's capture, which it needs) also records each status it
 * skipped, with reason `implied`: every order's history reads placed → reserved → paid → … even
 * when its events arrived out of order. The late fact then finds the order past it and changes
 * nothing.
 */
export function transitionsFor(current: OrderStatus, fact: OrderFact): Transition[] {
  const transition = nextTransition(current, fact);
  if (!transition) return [];
  const from = HAPPY_PATH.indexOf(transition.from);
  const to = HAPPY_PATH.indexOf(transition.to);
  if (from < 0 || to < 0 || to - from <= 1) return [transition];
  const path: Transition[] = [];
  for (let i = from; i < to; i++) path.push({ from: HAPPY_PATH[i]!, to: HAPPY_PATH[i + 1]!, reason: i + 1 < to ? 'implied' : transition.reason });
  return path;
}

/** What an order must be paid: its buyer, total and currency as placed. */
export interface OrderCharge {
  buyerId: string;
  total: number;
  currency: string;
}

/**
 * What settlement's capture means for an order: paid only when it took exactly the order's total,
 * in its currency, from its buyer. Anything else cannot pay this order: it is a failed payment,
 * so the order is cancelled (`payment_mismatch`) like any other, and its cancellation releases
 * the vault's reservation unless the vault already sold on the same capture. (Once paid, the
 * state machine ignores the cancellation.)
 */
export function captureFact(order: OrderCharge, captured: { buyerId: string; amount: number; currency: string }): OrderFact {
  const matches = captured.amount === order.total && captured.currency === order.currency && captured.buyerId === order.buyerId;
  return matches ? { kind: 'paid' } : { kind: 'cancelled', reason: 'payment_mismatch' };
}

/** Whether the buyer may still cancel: before payment. */
export function isCancellable(status: OrderStatus): boolean {
  return status === 'placed' || status === 'reserved';
}
