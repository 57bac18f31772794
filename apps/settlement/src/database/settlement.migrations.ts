/** The settlement service's own migrations, in order, after the platform's (outbox and inbox). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const SETTLEMENT_MIGRATIONS: Function[] = [];

/** The settlement service's TypeORM entities. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const SETTLEMENT_ENTITIES: Function[] = [];
