/** The delivery service's own migrations, in order, after the platform's (outbox and inbox). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DELIVERY_MIGRATIONS: Function[] = [];

/** The delivery service's TypeORM entities. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DELIVERY_ENTITIES: Function[] = [];
