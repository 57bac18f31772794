import { stringify, type Stringifier } from 'csv-stringify';
import type { OrderCodeDto } from './order-codes.dto';

export const ORDER_CODES_CSV_COLUMNS = ['code_id', 'product_id', 'offer_id', 'code', 'pin', 'serial', 'redemption_url', 'expires_at'] as const;

type CsvField = string | null | undefined;

/** One CSV record per code, in ORDER_CODES_CSV_COLUMNS order, pulling chunks only as records are consumed. */
export async function* orderCodeRecords(chunks: AsyncIterable<OrderCodeDto[]>): AsyncGenerator<CsvField[]> {
  for await (const chunk of chunks) {
    for (const c of chunk) yield [c.codeId, c.productId, c.offerId, c.code, c.pin, c.serial, c.redemptionUrl, c.expiresAt];
  }
}

/**
 * RFC 4180 CSV of those records: a header line, CRLF, a field quoted only when it needs it.
 * Values are written exactly as they are (no spreadsheet-formula prefixing): a storefront imports
 * these codes, and a changed code would not redeem.
 */
export function orderCodesCsvWriter(): Stringifier {
  return stringify({ header: true, columns: [...ORDER_CODES_CSV_COLUMNS], record_delimiter: 'windows' });
}
