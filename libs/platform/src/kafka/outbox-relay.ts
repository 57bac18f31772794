import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { Logger as PinoLogger } from 'pino';
import { beginSpan } from '@kami/tracing';
import { GroupCommitter } from '../concurrency/group-committer';
import { outboxPublished } from '../metrics/metrics';

/** An outbox row as the relay publishes it. */
export interface OutboxRow {
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
 *
 * Events a transaction of this process appended are published as soon as it commits
 * (publishCommitted), without waiting for a pass; the passes (polls and nudges) publish the rest:
 * other processes' events, and any that could not go at once.
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** A nudge arrived while a pass was running: that pass may have missed its rows, so run another at once. */
  private nudged = false;
  private readonly batchSize: number;
  /**
   * Events published right after their transaction committed (publishCommitted), one group at a
   * time so they reach Kafka in the order they committed; their seqs, while queued or sending,
   * are left alone by the relay's passes.
   */
  private readonly committed: GroupCommitter<OutboxRow, void>;
  private readonly publishingNow = new Set<string>();
  /** Cleared when publishing at once failed: until a pass succeeds, committed events wait for it. */
  private publishAtOnce = true;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.committed = new GroupCommitter((rows) => this.publishGroup(rows), { maxBatch: this.batchSize, maxInFlight: 1 });
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

  /**
   * Publishes the events a transaction appended (eventsAppendedIn), once it has committed: no
   * pass over the outbox, one statement to mark them published. The outbox stays the truth: if
   * this fails, or the process dies first, they are still pending and a pass publishes them (at
   * least once: consumers' inboxes drop a copy). Events committed in order reach Kafka in order.
   */
  publishCommitted(rows: readonly OutboxRow[]): void {
    if (rows.length === 0) return;
    if (!this.running || !this.publishAtOnce) {
      this.nudge();
      return;
    }
    for (const row of rows) {
      this.publishingNow.add(row.seq);
      // Failures are handled by publishGroup; a refusal (closing) leaves the row to the final pass.
      this.committed.submit(row).catch(() => this.publishingNow.delete(row.seq));
    }
  }

  /** Stops polling, then publishes whatever is still pending so a clean shutdown leaves nothing behind. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.committed.close();
    this.publishingNow.clear();
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
    const published = await this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT seq, event_id, topic, message_key, event_type, envelope, trace_headers
           FROM platform_outbox
          WHERE published_at IS NULL AND seq <> ALL($2::bigint[])
          ORDER BY seq
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [this.batchSize, [...this.publishingNow]],
      );
      if (rows.length === 0) return 0;
      await this.send(rows);
      // Kafka takes events again: committed ones may go at once again.
      this.publishAtOnce = true;
      await manager.query(`UPDATE platform_outbox SET published_at = now() WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
      return rows.length;
    });
    return published;
  }

  /** One group of committed events, published at once (see publishCommitted). */
  private async publishGroup(rows: OutboxRow[]): Promise<void[]> {
    try {
      await this.send(rows);
      await this.dataSource.query(`UPDATE platform_outbox SET published_at = now() WHERE seq = ANY($1::bigint[]) AND published_at IS NULL`, [rows.map((r) => r.seq)]);
    } catch (error) {
      // Still pending in the outbox: the relay's passes take over, with their backoff.
      this.publishAtOnce = false;
      this.options.logger.warn({ err: error, events: rows.length }, 'publishing committed events failed; the relay will');
      this.nudge();
    } finally {
      for (const row of rows) this.publishingNow.delete(row.seq);
    }
    return rows.map(() => undefined);
  }

  /** Sends rows to Kafka under one producer span each, then runs the afterPublish hook. */
  private async send(rows: OutboxRow[]): Promise<void> {
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
    await this.options.afterPublish?.(rows.map((r) => r.event_id));
    for (const [topic, topicRows] of byTopic) outboxPublished.inc({ topic }, topicRows.length);
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
