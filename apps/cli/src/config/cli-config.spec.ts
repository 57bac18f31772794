import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../cli/cli-errors';
import {
  DEFAULT_API_URL,
  configFilePath,
  loadConfig,
  maskApiKey,
  normaliseApiUrl,
  readConfigFile,
  resolveConfig,
  withSetting,
  writeConfigFile,
} from './cli-config';

const KEY = 'kami_de0000000002_demo-supplier-key-not-for-production';

describe('config resolution', () => {
  it('takes the environment over the file, and the file over the default', () => {
    const file = { apiUrl: 'https://file.example', apiKey: 'kami_aaaaaaaaaaaa_from-the-file-secret-000' };
    expect(resolveConfig({}, {}, '/c.json')).toMatchObject({ apiUrl: DEFAULT_API_URL, apiUrlSource: 'default', apiKey: undefined, apiKeySource: 'none' });
    expect(resolveConfig({}, file, '/c.json')).toMatchObject({ apiUrl: 'https://file.example', apiUrlSource: 'file', apiKey: file.apiKey, apiKeySource: 'file' });
    expect(resolveConfig({ KAMI_API_URL: 'http://env.example:3000/', KAMI_API_KEY: KEY }, file, '/c.json')).toMatchObject({
      apiUrl: 'http://env.example:3000',
      apiUrlSource: 'env',
      apiKey: KEY,
      apiKeySource: 'env',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(resolveConfig({ KAMI_API_URL: '', KAMI_API_KEY: '  ' }, { apiKey: KEY }, '/c.json')).toMatchObject({
      apiUrlSource: 'default',
      apiKey: KEY,
      apiKeySource: 'file',
    });
  });

  it('refuses an API URL that is not http(s), naming where it came from', () => {
    expect(() => resolveConfig({ KAMI_API_URL: 'ftp://x' }, {}, '/c.json')).toThrow(/KAMI_API_URL.*http/);
    expect(() => resolveConfig({}, { apiUrl: 'not a url' }, '/c.json')).toThrow(UsageError);
    expect(() => resolveConfig({}, { apiUrl: 'not a url' }, '/c.json')).toThrow(/\/c\.json/);
    expect(normaliseApiUrl('https://api.kami.dev/base/')).toBe('https://api.kami.dev/base');
  });

  it('finds the file at $KAMI_CONFIG, else under ~/.config/kami', () => {
    expect(configFilePath({ KAMI_CONFIG: '/etc/kami.json' }, '/home/s')).toBe('/etc/kami.json');
    expect(configFilePath({}, '/home/s')).toBe('/home/s/.config/kami/config.json');
  });
});

describe('masking API keys', () => {
  it('keeps only the public prefix of a Kami key', () => {
    expect(maskApiKey(KEY)).toBe('kami_de0000000002_****');
    expect(maskApiKey(KEY)).not.toContain('demo-supplier');
  });

  it('shows at most four characters of any other key, and nothing of a short one', () => {
    expect(maskApiKey('sk-0123456789abcdefghij')).toBe('sk-0****');
    expect(maskApiKey('short')).toBe('****');
    expect(maskApiKey(undefined)).toBe('(not set)');
  });
});

describe('the config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kami-cli-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is written with mode 0600 in a 0700 directory and read back', () => {
    const file = path.join(dir, 'nested', 'config.json');
    writeConfigFile(file, withSetting(withSetting({}, 'api-url', 'http://127.0.0.1:3000/'), 'api-key', ` ${KEY}\n`));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readConfigFile(file)).toEqual({ apiUrl: 'http://127.0.0.1:3000', apiKey: KEY });
    expect(loadConfig({ KAMI_CONFIG: file })).toMatchObject({ apiKey: KEY, apiKeySource: 'file', configPath: file });
  });

  it('tightens the mode of an existing, world-readable file', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    writeConfigFile(file, { apiKey: KEY });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ apiKey: KEY });
  });

  it('reads a missing file as empty and refuses one that is not a JSON object', () => {
    expect(readConfigFile(path.join(dir, 'absent.json'))).toEqual({});
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ nope');
    expect(() => readConfigFile(file)).toThrow(UsageError);
    writeFileSync(file, '[1]');
    expect(() => readConfigFile(file)).toThrow(/JSON object/);
  });

  it('refuses empty values and keys with spaces', () => {
    expect(() => withSetting({}, 'api-key', '  ')).toThrow(UsageError);
    expect(() => withSetting({}, 'api-key', 'two words')).toThrow(UsageError);
    expect(() => withSetting({}, 'api-url', 'localhost')).toThrow(UsageError);
  });
});
