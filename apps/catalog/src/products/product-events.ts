import type { EntityManager } from 'typeorm';
import { ProductChanged, type ProductChangedPayload } from '@kami/contracts';
import type { Messaging } from '@kami/platform';
import type { ProductEntity } from './product.entity';

export type ProductChange = ProductChangedPayload['change'];

export async function appendProductChanged(
  messaging: Messaging,
  manager: EntityManager,
  product: ProductEntity,
  brandName: string,
  change: ProductChange,
  traceId?: string,
): Promise<void> {
  await messaging.outbox.append(manager, ProductChanged, {
    aggregateId: product.id,
    traceId,
    payload: {
      productId: product.id,
      version: product.version,
      change,
      status: product.status,
      name: product.name,
      brandId: product.brandId,
      brandName,
      categoryCode: product.categoryCode,
      faceValue: product.faceValue,
      currency: product.currency,
      region: product.region,
      codeFormat: { codePattern: product.codePattern, pin: product.pinPolicy, pinPattern: product.pinPattern, serialRequired: product.serialRequired },
    },
  });
}
