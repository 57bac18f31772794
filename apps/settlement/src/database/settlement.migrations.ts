import { CreateSettlement1764300000000 } from './migrations/1764300000000-CreateSettlement';
import { RefundsAndCommission1764500000000 } from './migrations/1764500000000-RefundsAndCommission';
import { SupplierDeposits1764600000000 } from './migrations/1764600000000-SupplierDeposits';
import { TopupExpiry1764800000000 } from './migrations/1764800000000-TopupExpiry';

/** The settlement service's own migrations, in order, after the platform's (outbox and inbox). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const SETTLEMENT_MIGRATIONS: Function[] = [CreateSettlement1764300000000, RefundsAndCommission1764500000000, SupplierDeposits1764600000000, TopupExpiry1764800000000];

/** The settlement service's TypeORM entities: none, the ledger speaks SQL (its invariants live in PostgreSQL). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const SETTLEMENT_ENTITIES: Function[] = [];
