import { Injectable, type PipeTransform } from '@nestjs/common';
import { CODE_ID_PATTERN } from '@kami/contracts';
import { ValidationFailedError } from '@kami/platform';

/** The largest id a code can have (PostgreSQL bigint). */
const MAX_CODE_ID = 9_223_372_036_854_775_807n;

/**
 * Whether a well-formed code id (CODE_ID_PATTERN) can name a stored code at all: 19 digits can
 * exceed bigint, and such an id must read as "not found", never as a database error.
 */
export function isStorableCodeId(id: string): boolean {
  return CODE_ID_PATTERN.test(id) && BigInt(id) <= MAX_CODE_ID;
}

/** The ids once each, in the order first given. */
export function distinctIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** A code id in a path: a decimal string (CODE_ID_PATTERN), else 400. */
@Injectable()
export class ParseCodeIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !CODE_ID_PATTERN.test(value)) {
      throw new ValidationFailedError([{ field: 'id', messages: ['a code id is a decimal number without leading zeros, as a string'] }]);
    }
    return value;
  }
}
