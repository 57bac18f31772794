/**
 * Every Kafka topic Kami uses, named `<service>.<entity>.v<N>` and keyed by the aggregate id.
 * A topic's dead-letter twin is `<topic>.dlt` (see `deadLetterTopicOf`).
 */
export const Topics = {
  IdentityOrganisation: 'gateway.organisation.v1',
  CatalogProduct: 'catalog.product.v1',
  CatalogOffer: 'catalog.offer.v1',
  VaultStock: 'vault.stock.v1',
  VaultAllocation: 'vault.allocation.v1',
  VaultReplacement: 'vault.replacement.v1',
  OrderingOrder: 'ordering.order.v1',
  SettlementPayment: 'settlement.payment.v1',
  SettlementWallet: 'settlement.wallet.v1',
  SettlementDeposit: 'settlement.deposit.v1',
  SettlementRefund: 'settlement.refund.v1',
  DeliveryOrder: 'delivery.order.v1',
  DeliveryDispute: 'delivery.dispute.v1',
  DeliveryStock: 'delivery.stock.v1',
  DeliveryRestock: 'delivery.restock.v1',
  OrderingRestock: 'ordering.restock.v1',
  DeliveryReplacement: 'delivery.replacement.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const DEAD_LETTER_SUFFIX = '.dlt';

export function deadLetterTopicOf(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}
