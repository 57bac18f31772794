import { CreateOrdering1763900000000 } from './migrations/1763900000000-CreateOrdering';
import { ProductCategoryView1764700000000 } from './migrations/1764700000000-ProductCategoryView';
import { OrderFulfilment1764900000000 } from './migrations/1764900000000-OrderFulfilment';

/** The ordering service's own migrations, in order, after the platform's (outbox and inbox). */
export const ORDERING_MIGRATIONS = [CreateOrdering1763900000000, ProductCategoryView1764700000000, OrderFulfilment1764900000000];

/** The ordering service's TypeORM entities (none: its stores speak SQL through the EntityManager). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ORDERING_ENTITIES: Function[] = [];
