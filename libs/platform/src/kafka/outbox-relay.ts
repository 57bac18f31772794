import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { Logger as PinoLogger } from 'pino';
import { beginSpan } from '@kami/tracing';
import { outboxPublished } from '../metrics/metrics';

interface OutboxRow {
  seq: string;
  event_id: string;
  topic: string;
  message_key: string;
  event_type: string;
  envelope: Record<string, unknown> & { traceId?: string };
  trace_headers: Record<string, string> | null;
}

export interface OutboxRelayOptions {
  pollIntervalMs: number;
  batchSize?: number;
  logger: PinoLogger;
  /**
   * Called after a batch reached Kafka and before it is marked published. A crash here is the
   * at-least-once window: the batch is published again on restart and consumers' inboxes drop
   * the duplicates. Tests use it to kill the relay at exactly that point.
   */
  afterPublish?: (eventIds: string[]) => Promise<void> | void;
  /** Put before every topic name on the wire (KAFKA_TOPIC_PREFIX); the outbox keeps the contract's names. */
  topicPrefix?: string;
}

/**
 * Publishes committed outbox rows to Kafka, claiming them with FOR UPDATE SKIP LOCKED so several
 * instances of a service can run relays side by side without sending a row twice concurrently,
 * and marks them published in the transaction that claimed them. One relay sends in `seq` order;
 * with several relays, batches may interleave, so consumers must not assume strict order across
 * events (they are idempotent, and state transitions are guarded). A topic that cannot be
 * published to stalls the whole outbox until it can: that is deliberate, nothing is skipped.
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** A nudge arrived while a pass was running: that pass may have missed its rows, so run another at once. */
  private nudged = false;
  private readonly batchSize: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 200;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Ask for a pass now rather than at the next poll (called after a local commit). A nudge that
   * arrives while a pass is running is kept, not dropped: the rows it announces may have committed
   * after that pass read the outbox, and would otherwise wait for the next poll.
   */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /** Stops polling, then publishes whatever is still pending so a clean shutdown leaves nothing behind. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    try {
      while ((await this.drainOnce()) > 0) {
        /* flush until empty */
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'outbox flush on shutdown failed; events stay pending');
    }
  }

  /** Publishes one batch; returns how many events it published. */
  async drainOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT seq, event_id, topic, message_key, event_type, envelope, trace_headers
           FROM platform_outbox
          WHERE published_at IS NULL
          ORDER BY seq
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, OutboxRow[]>();
      for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
      // One producer span per event, in the trace of the transaction that appended it.
      const spans = new Map(rows.map((row) => [row.seq, beginSpan(`${row.topic} publish`, 'producer', row.trace_headers, { 'messaging.system': 'kafka', 'messaging.destination.name': row.topic, 'messaging.message.id': row.event_id })]));
      try {
        await this.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic.entries()].map(([topic, topicRows]) => ({
            topic: `${this.options.topicPrefix ?? ''}${topic}`,
            messages: topicRows.map((row) => ({
              key: row.message_key,
              value: JSON.stringify(row.envelope),
              headers: {
                'event-id': row.event_id,
                'event-type': row.event_type,
                ...(row.envelope.traceId ? { 'trace-id': row.envelope.traceId } : {}),
                ...spans.get(row.seq)!.headers,
              },
            })),
          })),
        });
      } catch (error) {
        for (const span of spans.values()) span.end(true);
        throw error;
      }
      for (const span of spans.values()) span.end();
      const ids = rows.map((r) => r.event_id);
      await this.options.afterPublish?.(ids);
      await manager.query(`UPDATE platform_outbox SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
        rows.map((r) => r.seq),
      ]);
      for (const [topic, topicRows] of byTopic) outboxPublished.inc({ topic }, topicRows.length);
      return rows.length;
    });
  }

  /** Whether any event waits: one indexed read, no transaction (what an idle poll costs). */
  private async anyPending(): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM platform_outbox WHERE published_at IS NULL LIMIT 1`);
    return rows.length > 0;
  }

  private async run(): Promise<void> {
    let failures = 0;
    // A pass the poll timer started looks first (most find nothing: one read instead of a
    // transaction's three round trips, in every service, ten times a second); a nudged pass, or
    // one that follows a full batch, drains at once.
    let byTimer = false;
    while (this.running) {
      let published = 0;
      const look = byTimer && !this.nudged;
      this.nudged = false;
      try {
        published = look && !(await this.anyPending()) ? 0 : await this.drainOnce();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.options.logger.error({ err: error, failures }, 'outbox relay pass failed; will retry');
      }
      byTimer = false;
      if (published >= this.batchSize || (this.nudged && failures === 0)) continue;
      // Back off exponentially while Kafka or PostgreSQL is failing, up to 10 s.
      const delay = failures > 0 ? Math.min(10_000, this.options.pollIntervalMs * 2 ** failures) : this.options.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          byTimer = true;
          resolve();
        }, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
