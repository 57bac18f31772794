/** The catalog service's own migrations, in order, after the platform's (outbox and inbox). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const CATALOG_MIGRATIONS: Function[] = [];

/** The catalog service's TypeORM entities. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const CATALOG_ENTITIES: Function[] = [];
