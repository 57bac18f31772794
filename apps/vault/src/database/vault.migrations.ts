import { CreateVault1763900000000 } from './migrations/1763900000000-CreateVault';
import { CodeRoomForAllocation1764100000000 } from './migrations/1764100000000-CodeRoomForAllocation';
import { CodeReplacements1765400000000 } from './migrations/1765400000000-CodeReplacements';
import { OfferStockHistory1765500000000 } from './migrations/1765500000000-OfferStockHistory';
import { CodeExpiry1765600000000 } from './migrations/1765600000000-CodeExpiry';
import { DuplicateSignals1765750000000 } from './migrations/1765750000000-DuplicateSignals';

/** The vault service's own migrations, in order, after the platform's (outbox, inbox, idempotency). */
export const VAULT_MIGRATIONS = [CreateVault1763900000000, CodeRoomForAllocation1764100000000, CodeReplacements1765400000000, OfferStockHistory1765500000000, CodeExpiry1765600000000, DuplicateSignals1765750000000];

/**
 * The vault's TypeORM entities. Most of the vault speaks SQL directly: its hot paths are set
 * statements over many codes at once, which entities would turn into one statement per row.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const VAULT_ENTITIES: Function[] = [];
