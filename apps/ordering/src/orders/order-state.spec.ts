import { isCancellable, nextTransition, type OrderStatus } from './order-state';

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
