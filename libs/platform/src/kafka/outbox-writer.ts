import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { describeValidationErrors, type EventDefinition, type EventEnvelope } from '@kami/contracts';
import { currentTraceHeaders } from '@kami/tracing';
import type { OutboxRow } from './outbox-relay';

export interface OutboxEventInput<P extends object> {
  aggregateId: string;
  payload: P;
  traceId?: string;
  /** Fixed id for events derived deterministically from another event (idempotent producers). */
  eventId?: string;
  occurredAt?: Date;
}

/** The query runner's user data: the writer keeps there the events a transaction appended. */
type RunnerData = { outboxEvents?: OutboxRow[] };

/**
 * The events this transaction appended to the outbox (read it before the transaction ends). Once
 * it has committed, the relay publishes them at once (OutboxRelay.publishCommitted); a
 * transaction that appended nothing costs the outbox nothing.
 */
export function eventsAppendedIn(manager: EntityManager): OutboxRow[] {
  return (manager.queryRunner?.data as RunnerData | undefined)?.outboxEvents ?? [];
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
    const traceHeaders = trace.traceparent ? trace : null;
    const inserted: { seq: string }[] = await manager.query(
      `INSERT INTO platform_outbox (event_id, topic, message_key, event_type, envelope, trace_headers)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (event_id) DO NOTHING RETURNING seq`,
      [envelope.id, definition.topic, input.aggregateId, definition.type, JSON.stringify(envelope), traceHeaders ? JSON.stringify(traceHeaders) : null],
    );
    // An event already in the outbox (a fixed id appended twice) is not this transaction's to publish.
    if (inserted[0]) {
      const data = manager.queryRunner.data as RunnerData;
      (data.outboxEvents ??= []).push({
        seq: String(inserted[0].seq),
        event_id: envelope.id,
        topic: definition.topic,
        message_key: input.aggregateId,
        event_type: definition.type,
        envelope: envelope as unknown as OutboxRow['envelope'],
        trace_headers: traceHeaders,
      });
    }
    return envelope;
  }
}
