// Imported by path: the package index pulls in NestJS, which jest (CJS, Node 20) cannot load.
import { CodesAllocated, OrderPlaced, StockReserved, Topics } from '@kami/contracts';
import { isUnsubscribedEventOfTopic } from './event-consumer';

describe('isUnsubscribedEventOfTopic: other consumers’ events are skipped, poison is not', () => {
  it('skips a contract event of the topic that the consumer did not subscribe to', () => {
    expect(isUnsubscribedEventOfTopic({ type: StockReserved.type }, Topics.VaultAllocation, [CodesAllocated])).toBe(true);
  });

  it('does not skip what the consumer subscribed to (it is validated and handled)', () => {
    expect(isUnsubscribedEventOfTopic({ type: CodesAllocated.type }, Topics.VaultAllocation, [CodesAllocated])).toBe(false);
  });

  it('does not skip an unknown type, a contract type of another topic, or a message without a type (they are dead-lettered)', () => {
    expect(isUnsubscribedEventOfTopic({ type: 'vault.allocation.melted' }, Topics.VaultAllocation, [CodesAllocated])).toBe(false);
    expect(isUnsubscribedEventOfTopic({ type: OrderPlaced.type }, Topics.VaultAllocation, [CodesAllocated])).toBe(false);
    expect(isUnsubscribedEventOfTopic({ payload: {} }, Topics.VaultAllocation, [CodesAllocated])).toBe(false);
    expect(isUnsubscribedEventOfTopic(null, Topics.VaultAllocation, [CodesAllocated])).toBe(false);
  });
});
