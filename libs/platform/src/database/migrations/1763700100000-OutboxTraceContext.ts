import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trace an event belongs to (W3C `traceparent`/`tracestate`, as written by the transaction
 * that appended it), so the relay can send it on in the message's headers and the consumer
 * continues the same trace. Null for events appended outside any trace.
 */
export class OutboxTraceContext1763700100000 implements MigrationInterface {
  name = 'OutboxTraceContext1763700100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE platform_outbox ADD COLUMN trace_headers jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE platform_outbox DROP COLUMN trace_headers`);
  }
}
