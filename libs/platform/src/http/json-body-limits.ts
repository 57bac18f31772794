import { CommonErrorCodes, DomainError } from '../errors/domain-error';

/**
 * The deepest nesting of objects and arrays a JSON body may have. Kami's deepest real body (an
 * order's lines, a webhook's filters) is four levels; 32 leaves room for any client and still stops
 * a body like `{"a":{"a":{…}}}` 2,000 levels deep before JSON.parse, validation, or any code that
 * walks a value recursively, sees it.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The nesting depth of a JSON text, read once over its bytes without recursion or parsing
 * (brackets inside strings do not count); it stops as soon as `stopAbove` is passed. Malformed
 * text is left to the parser: this only measures.
 */
export function jsonNestingDepth(bytes: Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return deepest;
}

/** Refuses (400 body_too_deep) a JSON body nested deeper than MAX_JSON_DEPTH. */
export function assertJsonDepth(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): void {
  if (jsonNestingDepth(bytes, maxDepth) > maxDepth) {
    throw new DomainError(CommonErrorCodes.BodyTooDeep, 400, `The request body nests objects and arrays deeper than ${maxDepth} levels.`, { maxDepth });
  }
}
