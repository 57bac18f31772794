import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger as PinoLogger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { ROOT_LOGGER, ValidationFailedError } from '@kami/platform';
import { VaultCrypto } from '../crypto/vault-crypto';
import { distinctIds, isStorableCodeId } from './code-id';
import { CodeError, codesNotFound, revealTooLarge } from './code.errors';
import { DataKeyCache } from './data-key-cache';
import { MAX_REVEAL_CODES, type RevealedCodeDto, type RevealRequestDto, type RevealResponseDto } from './reveal.dto';

interface SoldCodeRow {
  id: string;
  offer_id: string;
  batch_id: string;
  fingerprint: Buffer;
  secret: Buffer;
  expires_at: Date | null;
  line_id: string;
  order_id: string | null;
}

const SOLD_CODE_COLUMNS = `c.id::text AS id, c.offer_id, c.batch_id, c.fingerprint, c.secret, c.expires_at, r.id AS line_id, r.order_id`;

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
    const codes = await this.revealRecorded(revealId, caller, input).catch((error: unknown) => {
      // The refusal is audited too (who asked, for whom, how many, why); never which codes.
      if (error instanceof CodeError) {
        this.logger.warn(
          { audit: 'codes.reveal_refused', caller, actor: input.actor, buyerId: input.buyerId, orderId: input.orderId, channel: input.channel, asked: input.codeIds?.length ?? null, reason: error.code },
          'code reveal refused',
        );
      }
      throw error;
    });
    // The audit line: who, for whom, how many; never the codes.
    this.logger.info(
      { audit: 'codes.revealed', revealId, caller, actor: input.actor, buyerId: input.buyerId, orderId: input.orderId, channel: input.channel, purpose: input.purpose, count: codes.length },
      'codes revealed',
    );
    return { revealId, codes };
  }

  /**
   * Opens the codes its own records sold to this buyer (a committed reservation of theirs), and
   * records the reveal in the same transaction. Whatever buyer the caller names, a code not sold
   * to that buyer makes it a 404.
   */
  private revealRecorded(revealId: string, caller: string, input: RevealRequestDto): Promise<RevealedCodeDto[]> {
    return this.dataSource.transaction(async (manager) => {
      const rows = input.codeIds ? await this.soldByIds(manager, input.buyerId, input.codeIds) : await this.soldInOrder(manager, input.buyerId, input.orderId!);
      const keys = await this.dataKeys.keysFor(manager, rows.map((r) => r.batch_id));
      const revealed = rows.map((row) => this.open(row, keys.get(row.batch_id)!));
      const orders = new Set(rows.map((r) => r.order_id));
      const orderId = input.orderId ?? (orders.size === 1 ? [...orders][0]! : null);
      await manager.query(
        `INSERT INTO reveal (id, buyer_id, caller, actor, channel, purpose, order_id, code_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [revealId, input.buyerId, caller, input.actor ?? null, input.channel, input.purpose ?? null, orderId, rows.length],
      );
      await manager.query(`INSERT INTO reveal_code (code_id, reveal_id) SELECT unnest($1::bigint[]), $2`, [rows.map((r) => r.id), revealId]);
      return revealed;
    });
  }

  /** Every listed code, sold to this buyer, in the order asked; any other id makes it a 404. */
  private async soldByIds(manager: EntityManager, buyerId: string, codeIds: string[]): Promise<SoldCodeRow[]> {
    const ids = distinctIds(codeIds);
    if (!ids.every(isStorableCodeId)) throw codesNotFound();
    const rows: SoldCodeRow[] = await manager.query(
      `SELECT ${SOLD_CODE_COLUMNS}
         FROM code c JOIN reservation r ON r.id = c.reservation_id
        WHERE c.id = ANY($1::bigint[]) AND c.status = 'allocated' AND r.status = 'committed' AND r.buyer_id = $2`,
      [ids, buyerId],
    );
    if (rows.length !== ids.length) throw codesNotFound();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id)!);
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
