/** The ordering service's own migrations, in order, after the platform's (outbox and inbox). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ORDERING_MIGRATIONS: Function[] = [];

/** The ordering service's TypeORM entities. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ORDERING_ENTITIES: Function[] = [];
