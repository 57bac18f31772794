import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { describeValidationErrors, type EventDefinition, type EventEnvelope } from '@kami/contracts';
import { currentTraceHeaders } from '@kami/tracing';

export interface OutboxEventInput<P extends object> {
  aggregateId: string;
  payload: P;
  traceId?: string;
  /** Fixed id for events derived deterministically from another event (idempotent producers). */
  eventId?: string;
  occurredAt?: Date;
}

/** The query runner's user data: the writer marks a transaction that appended an event. */
type RunnerData = { outboxAppended?: boolean };

/**
 * Whether this transaction appended an event to the outbox: only then is the relay worth a pass
 * after it commits (a consumer that wrote nothing must not cost the outbox a transaction).
 */
export function appendedToOutbox(manager: EntityManager): boolean {
  return (manager.queryRunner?.data as RunnerData | undefined)?.outboxAppended === true;
}

export class InvalidEventPayloadError extends Error {
  constructor(type: string, problems: string[]) {
    super(`refusing to write an invalid ${type} event: ${problems.join('; ')}`);
  }
}

/**
 * Writes events to the outbox through the caller's EntityManager, so the event commits or
 * rolls back with the state change it describes. The relay publishes it afterwards.
 */
export class OutboxWriter {
  async append<P extends object>(
    manager: EntityManager,
    definition: EventDefinition<P>,
    input: OutboxEventInput<P>,
  ): Promise<EventEnvelope<P>> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('OutboxWriter.append must run inside a transaction (use dataSource.transaction)');
    }
    // plainToInstance, not Object.assign: nested payload objects must become their classes to be validated.
    const payload = plainToInstance(definition.payload, input.payload);
    const errors = validateSync(payload, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw new InvalidEventPayloadError(definition.type, describeValidationErrors(errors));

    const envelope: EventEnvelope<P> = {
      id: input.eventId ?? randomUUID(),
      type: definition.type,
      occurredAt: (input.occurredAt ?? new Date()).toISOString(),
      aggregateId: input.aggregateId,
      payload,
      ...(input.traceId ? { traceId: input.traceId } : {}),
    };
    // The trace this transaction runs in goes with the event: its consumer continues it.
    const trace = currentTraceHeaders();
    await manager.query(
      `INSERT INTO platform_outbox (event_id, topic, message_key, event_type, envelope, trace_headers)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (event_id) DO NOTHING`,
      [envelope.id, definition.topic, input.aggregateId, definition.type, JSON.stringify(envelope), trace.traceparent ? JSON.stringify(trace) : null],
    );
    (manager.queryRunner.data as RunnerData).outboxAppended = true;
    return envelope;
  }
}
