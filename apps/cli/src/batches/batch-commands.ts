import { colourEnabled, type Io } from '../cli/io';
import type { BatchApi } from './upload-command';
import { formatBatchSummary, formatCount, formatRefusalRows, styleFor } from './report-format';

/** The page size for `kami batches report` (the API's maximum). */
export const REPORT_PAGE_SIZE = 100;

/** `kami batches show ID [--json]`. */
export async function showBatch(batchId: string, options: { json: boolean }, deps: { api: BatchApi; io: Io }): Promise<number> {
  const batch = await deps.api.getBatch(batchId);
  deps.io.stdout.write(options.json ? `${JSON.stringify(batch, null, 2)}\n` : formatBatchSummary(batch, { style: styleFor(colourEnabled(deps.io)) }));
  return 0;
}

/**
 * `kami batches report ID [--all]`: the refused lines, one page or (with --all) every page,
 * printed page by page so a million refusals never sit in memory.
 */
export async function reportBatch(batchId: string, options: { all: boolean }, deps: { api: BatchApi; io: Io }): Promise<number> {
  const { api, io } = deps;
  const style = styleFor(colourEnabled(io));
  let cursor: string | undefined;
  let printed = 0;
  do {
    const page = await api.listRefusals(batchId, { limit: REPORT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    if (page.items.length > 0) io.stdout.write(`${formatRefusalRows(page.items, style, printed === 0).join('\n')}\n`);
    printed += page.items.length;
    cursor = page.nextCursor ?? undefined;
    if (cursor && !options.all) {
      io.stderr.write(`${formatCount(printed)} refused lines shown; more: kami batches report ${batchId} --all\n`);
      return 0;
    }
  } while (cursor);
  io.stderr.write(printed === 0 ? 'no refused lines\n' : `${formatCount(printed)} refused line${printed === 1 ? '' : 's'}\n`);
  return 0;
}
