import { DomainError } from '@kami/platform';

/** Stable codes of the batch API's problems (see each factory for when they are used). */
export const BatchErrorCode = {
  OfferNotFound: 'offer_not_found',
  OfferDelisted: 'offer_delisted',
  ProductNotKnown: 'product_not_known',
  BatchNotFound: 'batch_not_found',
  TooManyCodes: 'too_many_codes',
  UnsupportedContentType: 'unsupported_content_type',
  BatchNotAwaitingContent: 'batch_not_awaiting_content',
  CodeFormatUnsupported: 'code_format_unsupported',
  BatchNotHeld: 'batch_not_held',
} as const;

/**
 * Why a batch failed (`failure.code` of a batch; the batch's codes are deleted, its refusals kept).
 * `failure.detail` says more in words and never contains a line's content.
 */
export const BatchFailureCode = {
  /** More lines than BATCH_CSV_MAX_LINES besides the header (blank and whitespace-only lines count). */
  TooManyLines: 'too_many_lines',
  /** The client went away before the whole body arrived. */
  UploadAborted: 'upload_aborted',
  /** The CSV is not CSV (an unclosed quote, a stray quote, ...). */
  UnparseableCsv: 'unparseable_csv',
  /** A line is longer than the CSV reader accepts. */
  LineTooLong: 'line_too_long',
  /** The header row names a column the vault does not know, or one twice. */
  BadHeader: 'bad_header',
  /** The process ingesting the batch stopped (crash, restart) before it finished. */
  Interrupted: 'interrupted',
  /** A CSV batch whose content never came (see BatchRecovery for how long it waits). */
  UploadExpired: 'upload_expired',
  /** Held for review (too many codes other suppliers hold), and an operator rejected it. */
  RejectedInReview: 'rejected_in_review',
  /** Something went wrong on our side. */
  Internal: 'internal_error',
} as const;
export type BatchFailureCode = (typeof BatchFailureCode)[keyof typeof BatchFailureCode];

export class BatchError extends DomainError {}

export const offerNotFound = (): BatchError =>
  // Also for another supplier's offer: whether it exists is none of the caller's business.
  new BatchError(BatchErrorCode.OfferNotFound, 404, 'No such offer.');
export const offerDelisted = (): BatchError =>
  new BatchError(BatchErrorCode.OfferDelisted, 409, 'The offer is delisted and takes no more codes; upload to another offer.', { offerStatus: 'delisted' });
export const productNotKnown = (): BatchError =>
  new BatchError(BatchErrorCode.ProductNotKnown, 409, 'The vault has not received this offer’s product (and its code format) from the catalog yet; retry in a moment.', {
    retryAfterSeconds: 2,
  });
export const codeFormatUnsupported = (field: 'codePattern' | 'pinPattern'): BatchError =>
  // A product stored before patterns ran on RE2 (catalog now refuses such patterns at creation).
  new BatchError(
    BatchErrorCode.CodeFormatUnsupported,
    409,
    `This offer's product has a ${field} the vault cannot run (back-references, look-around or a syntax RE2 does not read); ask an operator to correct the product's code format.`,
    { field },
  );
export const batchNotFound = (): BatchError => new BatchError(BatchErrorCode.BatchNotFound, 404, 'No such batch.');
export const tooManyCodes = (limit: number): BatchError =>
  new BatchError(BatchErrorCode.TooManyCodes, 413, `An inline batch holds at most ${limit} codes; upload bigger batches as CSV (source: "csv").`, { limit });
export const unsupportedContentType = (): BatchError =>
  new BatchError(BatchErrorCode.UnsupportedContentType, 415, 'Send the batch content as Content-Type: text/csv (UTF-8).');
export const batchNotAwaitingContent = (status: string, source: string): BatchError =>
  new BatchError(
    BatchErrorCode.BatchNotAwaitingContent,
    409,
    source !== 'csv'
      ? 'This batch was created with inline codes; it takes no content upload.'
      : status === 'receiving'
        ? 'This batch’s content is already being uploaded; a batch takes its content once. Create a new batch to upload again.'
        : `This batch is ${status}; a batch takes its content once. Create a new batch to upload again.`,
    { batchStatus: status },
  );

export const batchNotHeld = (status: string): BatchError =>
  new BatchError(BatchErrorCode.BatchNotHeld, 409, `This batch is ${status}, not held for review; only a held batch is released or rejected.`, { batchStatus: status });
