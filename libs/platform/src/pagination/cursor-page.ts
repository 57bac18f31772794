import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DomainError } from '../errors/domain-error';
import { toInt } from '../config/service-config';

/**
 * Cursor (keyset) pagination: a page ends with an opaque cursor holding the sort key of its last
 * row, and the next page starts after it. Unlike OFFSET, page N costs the same as page 1 and
 * rows inserted meanwhile neither repeat nor vanish.
 */
export class CursorPageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

export interface CursorPage<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export type CursorKey = (string | number | null)[];

/** 400 `invalid_cursor`: also for a cursor that decodes but whose key parts are not what the endpoint hands out. */
export const invalidCursor = (): DomainError => new DomainError('invalid_cursor', 400, 'The cursor is not one this endpoint handed out; start again without it.');

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor into `length` key parts; anything else is a 400 `invalid_cursor`. */
export function decodeCursor(cursor: string, length: number): CursorKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== length || !key.every((part) => part === null || ['string', 'number'].includes(typeof part))) {
    throw invalidCursor();
  }
  return key as CursorKey;
}

/** Cuts a result fetched with `limit + 1` rows into a page and the cursor after its last item. */
export function toCursorPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => CursorKey, map: (row: R) => T): CursorPage<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
