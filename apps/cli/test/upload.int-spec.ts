// The CLI's contract test: the real bin (`node apps/cli/bin/kami.mjs`) in a child process
// against a fake of the vault's batch API that consumes the streamed body for real.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeVaultApi, type FakeVaultApi } from './fake-vault-api';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/kami.mjs');
const API_KEY = 'kami_0123456789ab_contract-test-secret-do-not-print';
const SECRET = 'contract-test-secret-do-not-print';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let api: FakeVaultApi;
let dir: string;
let configFile: string;

function kami(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = { ...process.env };
  for (const name of Object.keys(base)) if (name.startsWith('KAMI_')) delete base[name];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...base, KAMI_API_URL: api.url, KAMI_CONFIG: configFile, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * 60,000 codes after a header line (~2.5 MB, many chunks), UTF-8 beyond ASCII, some CRLF endings,
 * no final newline. Refused (the fake's rules): 40 bad_format, 30 duplicate_in_batch,
 * 25 duplicate_in_vault, 15 expired; the rest (59,890) accepted. Line numbers count the header.
 */
function writeCodesFile(name: string): string {
  const rows = ['code,note'];
  for (let i = 1; i <= 60_000; i += 1) {
    if (i % 1500 === 750) rows.push(`bad code ${i},卡密`);
    else if (i % 2000 === 100) rows.push(`DUP-${i},first`);
    else if (i % 2000 === 200) rows.push(`DUP-${i - 100},again\r`);
    else if (i % 2400 === 7) rows.push(`VAULT-${i},already stored`);
    else if (i % 4000 === 3) rows.push(`EXP-${i},expired`);
    else rows.push(`CODE-${String(i).padStart(8, '0')}-ABCDEFGHJKLMNPQRSTUV,游戏点卡 ¥100`);
  }
  const file = path.join(dir, name);
  writeFileSync(file, rows.join('\n'));
  return file;
}

beforeAll(async () => {
  api = await startFakeVaultApi({ apiKey: API_KEY });
});
afterAll(() => api.close());
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kami-cli-'));
  configFile = path.join(dir, 'config', 'config.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kami batches upload', () => {
  it('streams the file, follows the ingest and prints the report (API key from `kami config set`)', async () => {
    const set = await kami(['config', 'set', 'api-key', API_KEY]);
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toContain('kami_0123456789ab_****');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);

    const file = writeCodesFile('codes.csv');
    const before = api.requests.length;
    const result = await kami(['batches', 'upload', 'codes.csv', '--offer', 'offer-ok']);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);

    const requests = api.requests.slice(before);
    const [create, put] = [requests.find((r) => r.method === 'POST')!, requests.find((r) => r.method === 'PUT')!];
    const batchId = put.url.split('/')[5]!;

    // The request contract.
    expect(create.url).toBe('/api/v1/vault/batches');
    expect(JSON.parse(create.body!)).toEqual({ offerId: 'offer-ok', source: 'csv', fileName: 'codes.csv' });
    expect(create.headers['idempotency-key']).toMatch(UUID);
    expect(create.headers['content-type']).toBe('application/json');
    expect(put.url).toBe(`/api/v1/vault/batches/${batchId}/content`);
    expect(put.headers['content-type']).toBe('text/csv');
    expect(put.headers['content-length']).toBe(String(statSync(file).size));
    for (const request of requests) expect(request.headers['x-api-key']).toBe(API_KEY);

    // The server consumed the whole file, byte for byte.
    const bytes = readFileSync(file);
    expect(api.received(batchId)).toEqual({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });

    // It followed the job until it completed, then read the first 20 refusals.
    const after = requests.slice(requests.indexOf(put) + 1);
    expect(after.filter((r) => r.method === 'GET' && r.url === `/api/v1/vault/batches/${batchId}`).length).toBeGreaterThanOrEqual(1);
    expect(requests.at(-1)!.url).toBe(`/api/v1/vault/batches/${batchId}/refusals?limit=20`);

    const batch = api.batch(batchId) as { accepted: number; refused: Record<string, number>; linesReceived: number };
    expect(batch).toMatchObject({ status: 'completed', linesReceived: 60_000 });
    expect(batch.refused).toEqual({ bad_format: 40, duplicate_in_batch: 30, duplicate_in_vault: 25, expired: 15 });
    expect(batch.accepted).toBe(60_000 - 110);

    const out = result.stdout;
    expect(out).toMatch(new RegExp(`^batch ${batchId}  completed\\n`));
    expect(out).toMatch(/\n {2}lines received +60,000\n/);
    expect(out).toMatch(/\n {2}accepted +59,890\n/);
    expect(out).toMatch(/\n {2}refused +110\n/);
    expect(out).toMatch(/\n {4}bad_format +40\n/);
    expect(out).toMatch(/\n {4}duplicate_in_batch +30\n/);
    expect(out).toMatch(/\n {4}duplicate_in_vault +25\n/);
    expect(out).toMatch(/\n {4}expired +15\n/);
    expect(out).toContain('first 20 of 110 refused lines:');
    expect(out).toMatch(/\n +751 +bad_format +field code\n/);
    expect(out).toMatch(/\n +201 +duplicate_in_batch +repeats line 101\n/);
    expect(out).toContain(`kami batches report ${batchId} --all`);
    // Refusal rows: header + 20.
    expect(out.split('\n').filter((line) => /^ +\d+ +[a-z_]+/.test(line))).toHaveLength(20);

    // Not a terminal: plain progress lines on stderr, no escape sequences anywhere.
    expect(result.stderr).toContain(`batch ${batchId} created for offer offer-ok: codes.csv`);
    expect(result.stderr).toMatch(/\nuploaded 3\.\d MiB in \d+/);
    expect(result.stderr).toMatch(/ingest completed: 60,000 lines \(accepted 59,890, refused 110\)/);
    expect(result.stdout + result.stderr).not.toContain('\u001b[');
    expect(result.stdout + result.stderr + set.stdout + set.stderr).not.toContain(SECRET);
  });

  it('prints one JSON object with the final batch for --json-summary', async () => {
    writeCodesFile('codes.csv');
    const result = await kami(['batches', 'upload', 'codes.csv', '--offer', 'offer-json', '--json-summary'], { KAMI_API_KEY: API_KEY });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { id: string };
    expect(summary).toEqual(api.batch(summary.id));
    expect(summary).toMatchObject({ status: 'completed', accepted: 59_890, linesReceived: 60_000 });
  });

  it('retries a create that met a 503 with the same Idempotency-Key', async () => {
    writeFileSync(path.join(dir, 'small.csv'), 'code\nAAA-1\nAAA-2\n');
    const before = api.requests.length;
    const result = await kami(['batches', 'upload', 'small.csv', '--offer', 'offer-flaky', '--json-summary'], { KAMI_API_KEY: API_KEY });
    expect(result.code).toBe(0);
    const creates = api.requests.slice(before).filter((r) => r.method === 'POST');
    expect(creates).toHaveLength(2);
    expect(creates[1]!.headers['idempotency-key']).toBe(creates[0]!.headers['idempotency-key']);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', linesReceived: 2, accepted: 2 });
  });

  it('exits 1 and says why when the batch fails', async () => {
    writeFileSync(path.join(dir, 'small.csv'), 'code\nAAA-1\nAAA-2\n');
    const result = await kami(['batches', 'upload', 'small.csv', '--offer', 'offer-fails'], { KAMI_API_KEY: API_KEY });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^batch \S+ {2}failed\n/);
    expect(result.stdout).toContain('failure               encryption_unavailable: The vault could not encrypt the batch; nothing was stored.');
  });

  it('exits 3 and prints the problem code when the API refuses the batch', async () => {
    writeFileSync(path.join(dir, 'small.csv'), 'code\nAAA-1\n');
    const result = await kami(['batches', 'upload', 'small.csv', '--offer', 'offer-unknown'], { KAMI_API_KEY: API_KEY });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('error offer_not_found: No offer offer-unknown of your organisation.\n');
    expect(result.stdout).toBe('');
  });

  it('exits 3 with the server\'s problem when it refuses the body before reading it', async () => {
    writeCodesFile('codes.csv');
    const result = await kami(['batches', 'upload', 'codes.csv', '--offer', 'offer-too-big'], { KAMI_API_KEY: API_KEY });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error payload_too_large: A batch file may hold at most 1 byte here.\n');
  });

  it('exits 3 on a wrong API key, and 2 without one or without a file', async () => {
    writeFileSync(path.join(dir, 'small.csv'), 'code\nAAA-1\n');
    const wrong = await kami(['batches', 'upload', 'small.csv', '--offer', 'offer-ok'], { KAMI_API_KEY: 'kami_ffffffffffff_wrong-secret-000000000000' });
    expect(wrong).toMatchObject({ code: 3, stderr: 'error unauthenticated: A valid API key is required.\n' });
    const noKey = await kami(['batches', 'upload', 'small.csv', '--offer', 'offer-ok']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^error: no API key/);
    const noFile = await kami(['batches', 'upload', 'absent.csv', '--offer', 'offer-ok'], { KAMI_API_KEY: API_KEY });
    expect(noFile).toMatchObject({ code: 2, stderr: 'error: no such file: absent.csv\n' });
    const noOffer = await kami(['batches', 'upload', 'small.csv'], { KAMI_API_KEY: API_KEY });
    expect(noOffer.code).toBe(2);
    expect(noOffer.stderr).toContain("required option '--offer <id>' not specified");
  });

  it('exits 3 when the API cannot be reached', async () => {
    writeFileSync(path.join(dir, 'small.csv'), 'code\nAAA-1\n');
    // A port that was free a moment ago: nothing listens there.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await kami(['batches', 'upload', 'small.csv', '--offer', 'offer-ok'], { KAMI_API_KEY: API_KEY, KAMI_API_URL: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`error network_error: cannot reach http://127.0.0.1:${port} (ECONNREFUSED)\n`);
  });
});

describe('kami batches show / report', () => {
  it('shows a batch and pages through all its refusals', async () => {
    writeCodesFile('codes.csv');
    const upload = await kami(['batches', 'upload', 'codes.csv', '--offer', 'offer-report', '--json-summary'], { KAMI_API_KEY: API_KEY });
    const { id } = JSON.parse(upload.stdout) as { id: string };
    const env = { KAMI_API_KEY: API_KEY };

    const show = await kami(['batches', 'show', id], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^batch ${id}  completed\\n`));
    expect(show.stdout).toMatch(/\n {2}accepted +59,890\n/);

    const firstPage = await kami(['batches', 'report', id], env);
    expect(firstPage.code).toBe(0);
    expect(firstPage.stdout.trimEnd().split('\n')).toHaveLength(1 + 100);
    expect(firstPage.stderr).toContain(`100 refused lines shown; more: kami batches report ${id} --all`);

    const before = api.requests.length;
    const all = await kami(['batches', 'report', id, '--all'], env);
    expect(all.code).toBe(0);
    const rows = all.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(1 + 110);
    expect(rows[0]).toMatch(/^ +line +reason +detail$/);
    expect(rows.at(-1)).toMatch(/^ +59251 +bad_format +field code$/);
    expect(all.stderr).toBe('110 refused lines\n');
    expect(api.requests.slice(before).map((r) => r.url)).toEqual([
      `/api/v1/vault/batches/${id}/refusals?limit=100`,
      expect.stringMatching(new RegExp(`^/api/v1/vault/batches/${id}/refusals\\?limit=100&cursor=.+`)),
    ]);
  });
});

describe('kami config', () => {
  it('shows where each setting comes from, the key masked, the environment first', async () => {
    await kami(['config', 'set', 'api-url', 'https://api.kami.example/']);
    await kami(['config', 'set', 'api-key', API_KEY]);
    const fromFile = await kami(['config', 'show'], { KAMI_API_URL: '' });
    expect(fromFile.stdout).toContain('api-url     https://api.kami.example  (from the config file)');
    expect(fromFile.stdout).toContain('api-key     kami_0123456789ab_****  (from the config file)');
    const fromEnv = await kami(['config', 'show'], { KAMI_API_KEY: 'kami_abcdefabcdef_from-the-environment-0000' });
    expect(fromEnv.stdout).toContain(`api-url     ${api.url}  (from KAMI_API_URL)`);
    expect(fromEnv.stdout).toContain('api-key     kami_abcdefabcdef_****  (from KAMI_API_KEY)');
    expect(fromFile.stdout + fromEnv.stdout).not.toContain(SECRET);
    expect(JSON.parse(readFileSync(configFile, 'utf8'))).toEqual({ apiUrl: 'https://api.kami.example', apiKey: API_KEY });
  });
});
