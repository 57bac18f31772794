import { CreateDelivery1764950000000 } from './migrations/1764950000000-CreateDelivery';
import { PurchasedStock1765200000000 } from './migrations/1765200000000-PurchasedStock';
import { Webhooks1765300000000 } from './migrations/1765300000000-Webhooks';
import { Disputes1765400000000 } from './migrations/1765400000000-Disputes';
import { WithdrawnCodes1765500000000 } from './migrations/1765500000000-WithdrawnCodes';
import { WebhookCreators1765600000000 } from './migrations/1765600000000-WebhookCreators';

/** The delivery service's own migrations, in order, after the platform's (outbox and inbox). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DELIVERY_MIGRATIONS: Function[] = [CreateDelivery1764950000000, PurchasedStock1765200000000, Webhooks1765300000000, Disputes1765400000000, WithdrawnCodes1765500000000, WebhookCreators1765600000000];

/** The delivery service's TypeORM entities (none: its stores speak SQL through the EntityManager). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DELIVERY_ENTITIES: Function[] = [];
