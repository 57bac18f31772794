import type { Stringifier } from 'csv-stringify';
import { csvWriter, type CsvField } from '@kami/platform';
import type { CodesCsvFormat, OrderCodeDto } from './order-codes.dto';

export const ORDER_CODES_CSV_COLUMNS = ['code_id', 'product_id', 'offer_id', 'code', 'pin', 'serial', 'redemption_url', 'expires_at'] as const;

/** One CSV record per code, in ORDER_CODES_CSV_COLUMNS order, pulling chunks only as records are consumed. */
export async function* orderCodeRecords(chunks: AsyncIterable<OrderCodeDto[]>): AsyncGenerator<CsvField[]> {
  for await (const chunk of chunks) {
    for (const c of chunk) yield [c.codeId, c.productId, c.offerId, c.code, c.pin, c.serial, c.redemptionUrl, c.expiresAt];
  }
}

/**
 * RFC 4180 CSV of those records: a header line, CRLF, a field quoted only when it needs it.
 * 'spreadsheet' (the default download) is safe to open in Excel or WPS: a code, PIN or serial
 * (the supplier's text) that would run as a formula gets a leading `'` (the platform's
 * spreadsheetSafe, as settlement's statements). 'raw' writes every value exactly as it is, for a
 * storefront that imports the codes (a changed code would not redeem).
 */
export function orderCodesCsvWriter(format: CodesCsvFormat): Stringifier {
  return csvWriter({ columns: ORDER_CODES_CSV_COLUMNS, values: format === 'raw' ? 'raw' : 'spreadsheet' });
}

/** The attachment's file name: the raw form says so, so it is not mistaken for the one safe to open. */
export function orderCodesFileName(orderId: string, format: CodesCsvFormat): string {
  return `order-${orderId}-codes${format === 'raw' ? '.raw' : ''}.csv`;
}
