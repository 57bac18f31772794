/** The vault service's own migrations, in order, after the platform's (outbox and inbox). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const VAULT_MIGRATIONS: Function[] = [];

/** The vault service's TypeORM entities. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const VAULT_ENTITIES: Function[] = [];
