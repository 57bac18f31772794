import { captureFact, isCancellable, nextTransition, transitionsFor, type OrderStatus } from './order-state';

describe('order state machine', () => {
  it('walks the happy path one step at a time', () => {
    expect(nextTransition('placed', { kind: 'reserved' })).toEqual({ from: 'placed', to: 'reserved', reason: null });
    expect(nextTransition('reserved', { kind: 'paid' })).toEqual({ from: 'reserved', to: 'paid', reason: null });
    expect(nextTransition('paid', { kind: 'allocated' })).toEqual({ from: 'paid', to: 'allocated', reason: null });
    expect(nextTransition('allocated', { kind: 'delivered' })).toEqual({ from: 'allocated', to: 'delivered', reason: null });
  });

  it('lets a fact that overtook an earlier one move forward, and never back or twice', () => {
    expect(nextTransition('placed', { kind: 'paid' })).toEqual({ from: 'placed', to: 'paid', reason: null });
    expect(nextTransition('paid', { kind: 'reserved' })).toBeNull();
    expect(nextTransition('reserved', { kind: 'reserved' })).toBeNull();
    expect(nextTransition('delivered', { kind: 'allocated' })).toBeNull();
  });

  it('cancels only before payment, and a finished order stays finished', () => {
    expect(nextTransition('placed', { kind: 'cancelled', reason: 'out_of_stock' })).toEqual({ from: 'placed', to: 'cancelled', reason: 'out_of_stock' });
    expect(nextTransition('reserved', { kind: 'cancelled', reason: 'insufficient_balance' })).toEqual({ from: 'reserved', to: 'cancelled', reason: 'insufficient_balance' });
    expect(nextTransition('paid', { kind: 'cancelled', reason: 'payment_timeout' })).toBeNull();
    for (const done of ['cancelled', 'failed', 'delivered'] as OrderStatus[]) {
      expect(nextTransition(done, { kind: 'paid' })).toBeNull();
      expect(nextTransition(done, { kind: 'cancelled', reason: 'cancelled_by_buyer' })).toBeNull();
      expect(nextTransition(done, { kind: 'failed', reason: 'reservation_expired' })).toBeNull();
    }
  });

  it('fails a paid order the vault could not sell', () => {
    expect(nextTransition('paid', { kind: 'failed', reason: 'reservation_expired' })).toEqual({ from: 'paid', to: 'failed', reason: 'reservation_expired' });
  });

  it('lets the buyer cancel before payment only', () => {
    expect(['placed', 'reserved', 'paid', 'allocated', 'delivered', 'cancelled', 'failed'].filter((s) => isCancellable(s as OrderStatus))).toEqual(['placed', 'reserved']);
  });
});

describe('transitionsFor', () => {
  it('records every status a late-arriving order of events skipped, as implied', () => {
    // Vault's commit overtook settlement's capture: the history still shows the payment.
    expect(transitionsFor('reserved', { kind: 'allocated' })).toEqual([
      { from: 'reserved', to: 'paid', reason: 'implied' },
      { from: 'paid', to: 'allocated', reason: null },
    ]);
    expect(transitionsFor('placed', { kind: 'paid' })).toEqual([
      { from: 'placed', to: 'reserved', reason: 'implied' },
      { from: 'reserved', to: 'paid', reason: null },
    ]);
    expect(transitionsFor('reserved', { kind: 'paid' })).toEqual([{ from: 'reserved', to: 'paid', reason: null }]);
  });

  it('moves nothing for a fact the order has passed, and keeps side exits as one step', () => {
    expect(transitionsFor('allocated', { kind: 'paid' })).toEqual([]);
    expect(transitionsFor('reserved', { kind: 'cancelled', reason: 'payment_timeout' })).toEqual([{ from: 'reserved', to: 'cancelled', reason: 'payment_timeout' }]);
    expect(transitionsFor('delivered', { kind: 'allocated' })).toEqual([]);
  });
});

describe('captureFact', () => {
  const order = { buyerId: 'buyer-1', total: 92200, currency: 'CNY' };

  it('pays the order when settlement took exactly its total, in its currency, from its buyer', () => {
    expect(captureFact(order, { buyerId: 'buyer-1', amount: 92200, currency: 'CNY' })).toEqual({ kind: 'paid' });
  });

  it('treats any other capture as a failed payment: the unpaid order is cancelled, a paid one stays paid', () => {
    const mismatched = [
      { buyerId: 'buyer-1', amount: 92199, currency: 'CNY' },
      { buyerId: 'buyer-1', amount: 92201, currency: 'CNY' },
      { buyerId: 'buyer-1', amount: 0, currency: 'CNY' },
      { buyerId: 'buyer-1', amount: 92200, currency: 'USD' },
      { buyerId: 'buyer-2', amount: 92200, currency: 'CNY' },
    ];
    for (const captured of mismatched) {
      const fact = captureFact(order, captured);
      expect(fact).toEqual({ kind: 'cancelled', reason: 'payment_mismatch' });
      expect(transitionsFor('reserved', fact)).toEqual([{ from: 'reserved', to: 'cancelled', reason: 'payment_mismatch' }]);
      expect(transitionsFor('placed', fact)).toEqual([{ from: 'placed', to: 'cancelled', reason: 'payment_mismatch' }]);
      expect(transitionsFor('paid', fact)).toEqual([]);
    }
  });
});
