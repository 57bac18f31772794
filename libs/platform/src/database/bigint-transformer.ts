import type { ValueTransformer } from 'typeorm';

/**
 * `bigint` columns (money in fen, sequences) as JS numbers. pg returns bigint as a string; every
 * amount Kami stores stays far below 2^53, and a value that does not is refused rather than rounded.
 */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null): number | null => {
    if (value === null || value === undefined) return null;
    const number = Number(value);
    if (!Number.isSafeInteger(number)) throw new RangeError(`bigint ${value} is beyond a safe JavaScript integer`);
    return number;
  },
};
