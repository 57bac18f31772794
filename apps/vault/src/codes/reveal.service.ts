import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger as PinoLogger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { ROOT_LOGGER, ValidationFailedError } from '@kami/platform';
import { VaultCrypto } from '../crypto/vault-crypto';
import { distinctIds, isStorableCodeId } from './code-id';
import { CodeError, CodeErrorCode, codesNotFound, revealTooLarge } from './code.errors';
import { DataKeyCache } from './data-key-cache';
import {
  MAX_REVEAL_CODES,
  type RevealBatchEntryDto,
  type RevealBatchResultDto,
  type RevealedCodeDto,
  type RevealRequestDto,
  type RevealResponseDto,
} from './reveal.dto';

interface SoldCodeRow {
  id: string;
  offer_id: string;
  batch_id: string;
  fingerprint: Buffer;
  secret: Buffer;
  expires_at: Date | null;
  line_id: string;
  order_id: string | null;
  buyer_id: string;
}

const SOLD_CODE_COLUMNS = `c.id::text AS id, c.offer_id, c.batch_id, c.fingerprint, c.secret, c.expires_at, r.id AS line_id, r.order_id, r.buyer_id`;

/** One reveal of a batch: what was asked and, once checked, the codes it opens (undefined: refused). */
interface BatchedReveal {
  revealId: string;
  input: RevealRequestDto;
  rows?: SoldCodeRow[];
}

/**
 * The one way plaintext leaves the vault: to the buyer a code was sold to (its reservation
 * committed to that buyer), asked for by a trusted service, and recorded before it is handed
 * out. Anything not sold to that buyer makes the whole reveal a 404 that names nothing.
 */
@Injectable()
export class RevealService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly crypto: VaultCrypto,
    private readonly dataKeys: DataKeyCache,
    @Inject(ROOT_LOGGER) private readonly logger: PinoLogger,
  ) {}

  async reveal(caller: string, input: RevealRequestDto): Promise<RevealResponseDto> {
    if (input.codeIds !== undefined && input.orderId !== undefined) {
      throw new ValidationFailedError([{ field: 'orderId', messages: ['give exactly one of codeIds and orderId'] }]);
    }
    const revealId = randomUUID();
    let codes: RevealedCodeDto[];
    if (input.codeIds) {
      const [result] = await this.recordBatch(caller, [{ revealId, input }]);
      if (result!.codes === undefined) throw codesNotFound();
      codes = result!.codes;
    } else {
      codes = await this.revealOrder(revealId, caller, input).catch((error: unknown) => {
        if (error instanceof CodeError) this.auditRefusal(caller, input, error.code);
        throw error;
      });
      this.auditReveal(caller, revealId, input, codes.length);
    }
    return { revealId, codes };
  }

  /**
   * Many reveals by code ids at once (a caller's concurrent requests, grouped): each is its own
   * audit record, opened or refused on its own, as if asked alone, all checked and recorded in one
   * statement. A refused one reveals nothing and names no code.
   */
  async revealBatch(caller: string, entries: RevealBatchEntryDto[]): Promise<RevealBatchResultDto[]> {
    const total = entries.reduce((sum, entry) => sum + entry.codeIds.length, 0);
    if (total > MAX_REVEAL_CODES) {
      throw new ValidationFailedError([{ field: 'reveals', messages: [`at most ${MAX_REVEAL_CODES} codes in all`] }]);
    }
    return this.recordBatch(
      caller,
      entries.map((input) => ({ revealId: randomUUID(), input: { ...input } })),
    );
  }

  /**
   * Checks and records in one statement (every reveal whose codes are all sold to its buyer is
   * recorded with its codes, the others are not), then opens the granted codes: nothing is handed
   * out unrecorded. No transaction: one statement is atomic on its own.
   */
  private async recordBatch(caller: string, reveals: BatchedReveal[]): Promise<RevealBatchResultDto[]> {
    const manager = this.dataSource.manager;
    await this.checkAndRecord(manager, caller, reveals);
    const granted = reveals.filter((r) => r.rows !== undefined);
    const keys = await this.dataKeys.keysFor(
      manager,
      granted.flatMap((r) => r.rows!.map((row) => row.batch_id)),
    );
    const opened = new Map(granted.map((r) => [r.revealId, r.rows!.map((row) => this.open(row, keys.get(row.batch_id)!))]));
    return reveals.map((r) => {
      const codes = opened.get(r.revealId);
      // The audit lines: who, for whom, how many; never the codes.
      if (codes === undefined) {
        this.auditRefusal(caller, r.input, CodeErrorCode.CodesNotFound);
        return { error: CodeErrorCode.CodesNotFound };
      }
      this.auditReveal(caller, r.revealId, r.input, codes.length);
      return { revealId: r.revealId, codes };
    });
  }

  /**
   * Sets each reveal's rows (every listed code, sold to its buyer, in the order asked; any other id
   * refuses that reveal: no rows) and records the granted ones, reveal and codes, in one statement.
   */
  private async checkAndRecord(manager: EntityManager, caller: string, reveals: BatchedReveal[]): Promise<void> {
    const idsOf = reveals.map((r) => distinctIds(r.input.codeIds!));
    const pairs = idsOf.flatMap((ids, i) => ids.filter(isStorableCodeId).map((id) => [i, id] as const));
    const rows: (SoldCodeRow & { reveal: number })[] =
      pairs.length === 0
        ? []
        : await manager.query(
            `WITH asked AS (
               SELECT * FROM unnest($1::int[], $2::bigint[]) AS a(reveal, code_id)),
             wanted AS (
               SELECT * FROM unnest($3::int[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::int[])
                        AS w(reveal, id, buyer_id, actor, channel, purpose, asked_count)),
             sold AS (
               SELECT a.reveal, ${SOLD_CODE_COLUMNS}
                 FROM asked a JOIN wanted w ON w.reveal = a.reveal
                      JOIN code c ON c.id = a.code_id JOIN reservation r ON r.id = c.reservation_id
                WHERE c.status = 'allocated' AND r.status = 'committed' AND r.buyer_id = w.buyer_id),
             granted AS (
               -- Every code it asked for is sold to its buyer (an id that cannot exist counts as asked, never as sold).
               SELECT w.*, count(s.id)::int AS code_count,
                      CASE WHEN count(DISTINCT coalesce(s.order_id::text, '')) = 1 THEN min(s.order_id::text)::uuid END AS order_id
                 FROM wanted w JOIN sold s ON s.reveal = w.reveal
                GROUP BY w.reveal, w.id, w.buyer_id, w.actor, w.channel, w.purpose, w.asked_count
               HAVING count(s.id) = w.asked_count),
             recorded AS (
               INSERT INTO reveal (id, buyer_id, caller, actor, channel, purpose, order_id, code_count)
               SELECT id, buyer_id, $10, actor, channel, purpose, order_id, code_count FROM granted),
             coded AS (
               INSERT INTO reveal_code (code_id, reveal_id) SELECT s.id::bigint, g.id FROM sold s JOIN granted g ON g.reveal = s.reveal)
             SELECT s.* FROM sold s WHERE s.reveal IN (SELECT reveal FROM granted)`,
            [
              pairs.map(([i]) => i),
              pairs.map(([, id]) => id),
              reveals.map((_, i) => i),
              reveals.map((r) => r.revealId),
              reveals.map((r) => r.input.buyerId),
              reveals.map((r) => r.input.actor ?? null),
              reveals.map((r) => r.input.channel),
              reveals.map((r) => r.input.purpose ?? null),
              idsOf.map((ids) => ids.length),
              caller,
            ],
          );
    const byReveal = new Map<number, Map<string, SoldCodeRow>>();
    for (const row of rows) {
      const sold = byReveal.get(row.reveal) ?? new Map<string, SoldCodeRow>();
      sold.set(row.id, row);
      byReveal.set(row.reveal, sold);
    }
    reveals.forEach((reveal, i) => {
      const sold = byReveal.get(i);
      reveal.rows = sold ? idsOf[i]!.map((id) => sold.get(id)!) : undefined;
    });
  }

  /** The audit records of granted reveals (reveal, and which codes each opened), in one statement whatever their number. */
  private async record(manager: EntityManager, caller: string, granted: BatchedReveal[]): Promise<void> {
    const orderOf = (r: BatchedReveal): string | null => {
      if (r.input.orderId) return r.input.orderId;
      const orders = new Set(r.rows!.map((row) => row.order_id));
      return orders.size === 1 ? [...orders][0]! : null;
    };
    // One statement: the reveals and their codes are recorded together or not at all.
    await manager.query(
      `WITH recorded AS (
         INSERT INTO reveal (id, buyer_id, caller, actor, channel, purpose, order_id, code_count)
         SELECT id, buyer_id, $3, actor, channel, purpose, order_id, code_count
           FROM unnest($1::uuid[], $2::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::int[])
                AS t(id, buyer_id, actor, channel, purpose, order_id, code_count)
         RETURNING id)
       INSERT INTO reveal_code (code_id, reveal_id) SELECT * FROM unnest($9::bigint[], $10::uuid[])`,
      [
        granted.map((r) => r.revealId),
        granted.map((r) => r.input.buyerId),
        caller,
        granted.map((r) => r.input.actor ?? null),
        granted.map((r) => r.input.channel),
        granted.map((r) => r.input.purpose ?? null),
        granted.map(orderOf),
        granted.map((r) => r.rows!.length),
        granted.flatMap((r) => r.rows!.map((row) => row.id)),
        granted.flatMap((r) => r.rows!.map(() => r.revealId)),
      ],
    );
  }

  /** Every code sold to this buyer in one order, opened and recorded in one transaction. */
  private revealOrder(revealId: string, caller: string, input: RevealRequestDto): Promise<RevealedCodeDto[]> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await this.soldInOrder(manager, input.buyerId, input.orderId!);
      const keys = await this.dataKeys.keysFor(
        manager,
        rows.map((r) => r.batch_id),
      );
      await this.record(manager, caller, [{ revealId, input, rows }]);
      return rows.map((row) => this.open(row, keys.get(row.batch_id)!));
    });
  }

  private auditReveal(caller: string, revealId: string, input: RevealRequestDto, count: number): void {
    this.logger.info(
      { audit: 'codes.revealed', revealId, caller, actor: input.actor, buyerId: input.buyerId, orderId: input.orderId, channel: input.channel, purpose: input.purpose, count },
      'codes revealed',
    );
  }

  /** A refusal is audited too (who asked, for whom, how many, why); never which codes. */
  private auditRefusal(caller: string, input: RevealRequestDto, reason: string): void {
    this.logger.warn(
      { audit: 'codes.reveal_refused', caller, actor: input.actor, buyerId: input.buyerId, orderId: input.orderId, channel: input.channel, asked: input.codeIds?.length ?? null, reason },
      'code reveal refused',
    );
  }

  /** Every code sold to this buyer in this order (line by line), or a 404 when there is none. */
  private async soldInOrder(manager: EntityManager, buyerId: string, orderId: string): Promise<SoldCodeRow[]> {
    const rows: SoldCodeRow[] = await manager.query(
      `SELECT ${SOLD_CODE_COLUMNS}
         FROM reservation r JOIN code c ON c.id = ANY(r.code_ids) AND c.reservation_id = r.id AND c.status = 'allocated'
        WHERE r.order_id = $1 AND r.buyer_id = $2 AND r.status = 'committed'
        ORDER BY r.id, c.id
        LIMIT ${MAX_REVEAL_CODES + 1}`,
      [orderId, buyerId],
    );
    if (rows.length === 0) throw codesNotFound();
    if (rows.length > MAX_REVEAL_CODES) throw revealTooLarge(MAX_REVEAL_CODES);
    return rows;
  }

  private open(row: SoldCodeRow, dataKey: Buffer): RevealedCodeDto {
    const credential = this.crypto.open(dataKey, row.fingerprint, row.secret);
    return {
      codeId: row.id,
      offerId: row.offer_id,
      orderId: row.order_id,
      lineId: row.line_id,
      code: credential.code,
      ...(credential.pin !== undefined ? { pin: credential.pin } : {}),
      ...(credential.serial !== undefined ? { serial: credential.serial } : {}),
      ...(credential.redemptionUrl !== undefined ? { redemptionUrl: credential.redemptionUrl } : {}),
      expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
    };
  }
}
