import { DomainError } from '@kami/platform';

/** Stable codes of the vault's code features: reveal, void, history, stock. */
export const CodeErrorCode = {
  CodesNotFound: 'codes_not_found',
  CodeNotFound: 'code_not_found',
  BatchNotFound: 'batch_not_found',
  BatchNotCompleted: 'batch_not_completed',
  OfferNotFound: 'offer_not_found',
  RevealTooLarge: 'reveal_too_large',
  InvalidPeriod: 'invalid_period',
} as const;

export class CodeError extends DomainError {}

/**
 * Some of the listed codes are not the caller's (not sold to this buyer, not this supplier's, or
 * not there at all). Which ones is never said: the answer must not tell codes apart.
 */
export const codesNotFound = (): CodeError =>
  new CodeError(CodeErrorCode.CodesNotFound, 404, 'Not all of these codes exist for you; nothing was done.');

/** Also for a code the caller may not see: whether it exists is none of its business. */
export const codeNotFound = (): CodeError => new CodeError(CodeErrorCode.CodeNotFound, 404, 'No such code.');

export const batchNotFound = (): CodeError => new CodeError(CodeErrorCode.BatchNotFound, 404, 'No such batch.');

export const batchNotCompleted = (status: string): CodeError =>
  new CodeError(CodeErrorCode.BatchNotCompleted, 409, `The batch is ${status}; only the codes of a completed batch can be voided.`, { batchStatus: status });

export const offerNotFound = (): CodeError => new CodeError(CodeErrorCode.OfferNotFound, 404, 'No such offer.');

export const revealTooLarge = (max: number): CodeError =>
  new CodeError(CodeErrorCode.RevealTooLarge, 422, `The order holds more than ${max} codes; reveal them by codeIds, ${max} at a time.`, { maxCodes: max });

export const invalidPeriod = (detail: string): CodeError => new CodeError(CodeErrorCode.InvalidPeriod, 400, detail);
