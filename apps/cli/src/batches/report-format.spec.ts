import { ApiError } from '../api/kami-api-client';
import { parseBatch, type Batch } from '../api/vault-types';
import {
  COLOURED,
  PLAIN,
  formatApiError,
  formatBatchSummary,
  formatBytes,
  formatCount,
  formatDuration,
  formatRefusalRows,
  refusalDetail,
} from './report-format';

function batch(overrides: Partial<Batch> = {}): Batch {
  return parseBatch({
    id: 'b-1',
    offerId: 'offer-9',
    status: 'completed',
    source: 'csv',
    fileName: 'codes.csv',
    linesReceived: 12_345,
    accepted: 12_300,
    refused: { bad_format: 20, duplicate_in_batch: 15, duplicate_in_vault: 7, expired: 3 },
    failure: null,
    createdAt: '2026-01-01T10:00:00.000Z',
    finishedAt: '2026-01-01T10:00:03.500Z',
    ...overrides,
  });
}

describe('batch summary', () => {
  it('lists the counts and every refusal reason, aligned', () => {
    const text = formatBatchSummary(batch());
    expect(text).toBe(
      [
        'batch b-1  completed',
        '  offer                 offer-9',
        '  file                  codes.csv',
        '  lines received        12,345',
        '  accepted              12,300',
        '  refused                   45',
        '    bad_format              20',
        '    duplicate_in_batch      15',
        '    duplicate_in_vault       7',
        '    expired                  3',
        '  took                  3.5 s',
        '',
      ].join('\n'),
    );
  });

  it('shows reasons the CLI does not know yet, and zero for known ones absent from the answer', () => {
    const text = formatBatchSummary(batch({ refused: { too_long: 2 } as unknown as Batch['refused'] }));
    expect(text).toMatch(/ {4}bad_format +0\n/);
    expect(text).toMatch(/ {4}too_long +2\n/);
  });

  it('lists the first refusals and points to the full report when there are more', () => {
    const text = formatBatchSummary(batch(), {
      refusals: [
        { line: 3, reason: 'bad_format', field: 'code' },
        { line: 1042, reason: 'duplicate_in_batch', firstLine: 17 },
        { line: 1100, reason: 'duplicate_in_vault' },
      ],
      moreRefusals: true,
    });
    expect(text).toContain('first 3 of 45 refused lines:');
    expect(text).toContain('     3  bad_format          field code\n');
    expect(text).toContain('  1042  duplicate_in_batch  repeats line 17\n');
    expect(text).toContain('  1100  duplicate_in_vault\n');
    expect(text).toContain('kami batches report b-1 --all');
  });

  it('says why a batch failed', () => {
    const text = formatBatchSummary(
      batch({ status: 'failed', accepted: 0, failure: { code: 'too_many_lines', detail: 'A batch holds at most 1,000,000 codes.' } }),
    );
    expect(text).toMatch(/^batch b-1 {2}failed\n/);
    expect(text).toContain('  failure               too_many_lines: A batch holds at most 1,000,000 codes.\n');
    expect(text).toContain('none of its codes are available');
  });

  it('colours only when asked', () => {
    expect(formatBatchSummary(batch(), { style: PLAIN })).not.toContain('\u001b[');
    expect(formatBatchSummary(batch(), { style: COLOURED })).toContain('\u001b[32mcompleted\u001b[39m');
  });
});

describe('refusal rows', () => {
  it('describes each refusal in a few words', () => {
    expect(refusalDetail({ line: 1, reason: 'bad_format', field: 'expiresAt' })).toBe('field expiresAt');
    expect(refusalDetail({ line: 9, reason: 'duplicate_in_batch', firstLine: 2 })).toBe('repeats line 2');
    expect(refusalDetail({ line: 9, reason: 'expired' })).toBe('');
  });

  it('prints a header only when asked (pages after the first)', () => {
    const rows = [{ line: 12, reason: 'expired' }];
    expect(formatRefusalRows(rows)).toEqual(['  line  reason   detail', '    12  expired']);
    expect(formatRefusalRows(rows, PLAIN, false)).toEqual(['    12  expired']);
  });
});

describe('API errors', () => {
  it('prints `error <code>: <detail>` and one line per invalid field', () => {
    const error = new ApiError(400, 'validation_failed', 'The request has 2 invalid field(s).', [
      { field: 'offerId', messages: ['offerId must be a UUID'] },
      { field: 'fileName', messages: ['too long', 'bad characters'] },
    ]);
    expect(formatApiError(error)).toBe(
      'error validation_failed: The request has 2 invalid field(s).\n  offerId: offerId must be a UUID\n  fileName: too long; bad characters\n',
    );
  });
});

describe('numbers', () => {
  it('formats counts, sizes and durations for people', () => {
    expect(formatCount(1_000_000)).toBe('1,000,000');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(250 * 1024 * 1024)).toBe('250 MiB');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(65_000)).toBe('1 min 5 s');
  });
});
