import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../cli/cli-errors';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** What the config file holds (`kami config set …` writes it). */
export interface CliConfigFile {
  apiUrl?: string;
  apiKey?: string;
}

export type ValueSource = 'env' | 'file' | 'default' | 'none';

export interface ResolvedConfig {
  configPath: string;
  apiUrl: string;
  apiUrlSource: ValueSource;
  apiKey: string | undefined;
  apiKeySource: ValueSource;
}

export type Env = Record<string, string | undefined>;

/** Keys `kami config set` accepts, mapped to their field in the file. */
export const CONFIG_KEYS = { 'api-url': 'apiUrl', 'api-key': 'apiKey' } as const;
export type ConfigKey = keyof typeof CONFIG_KEYS;

/** `$KAMI_CONFIG`, else `~/.config/kami/config.json`. */
export function configFilePath(env: Env, home: string = homedir()): string {
  if (nonEmpty(env.KAMI_CONFIG)) return path.resolve(env.KAMI_CONFIG!);
  return path.join(home, '.config', 'kami', 'config.json');
}

/** The file's settings; `{}` when it does not exist. A file that is not a JSON object is a usage error. */
export function readConfigFile(file: string): CliConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`the config file ${file} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${file} must hold a JSON object`);
  }
  const { apiUrl, apiKey } = parsed as Record<string, unknown>;
  return {
    ...(typeof apiUrl === 'string' ? { apiUrl } : {}),
    ...(typeof apiKey === 'string' ? { apiKey } : {}),
  };
}

/**
 * Writes the file readable by its owner only (0600, directory 0700): it holds an API key.
 * Written to a temporary file first and renamed, so a crash never leaves half a file.
 */
export function writeConfigFile(file: string, config: CliConfigFile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600); // the mode above is filtered by the umask
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new UsageError(`cannot write the config file ${file}: ${(error as Error).message}`);
  }
}

/** The environment overrides the file; the file overrides the default. Pure. */
export function resolveConfig(env: Env, file: CliConfigFile, configPath: string): ResolvedConfig {
  const apiUrl = nonEmpty(env.KAMI_API_URL)
    ? { value: env.KAMI_API_URL!, source: 'env' as const }
    : nonEmpty(file.apiUrl)
      ? { value: file.apiUrl!, source: 'file' as const }
      : { value: DEFAULT_API_URL, source: 'default' as const };
  const apiKey = nonEmpty(env.KAMI_API_KEY)
    ? { value: env.KAMI_API_KEY!.trim(), source: 'env' as const }
    : nonEmpty(file.apiKey)
      ? { value: file.apiKey!.trim(), source: 'file' as const }
      : { value: undefined, source: 'none' as const };
  const where = apiUrl.source === 'env' ? 'KAMI_API_URL' : apiUrl.source === 'file' ? configPath : 'the default';
  return {
    configPath,
    apiUrl: normaliseApiUrl(apiUrl.value, where),
    apiUrlSource: apiUrl.source,
    apiKey: apiKey.value,
    apiKeySource: apiKey.source,
  };
}

/** Reads the file named by the environment and resolves the settings. */
export function loadConfig(env: Env): ResolvedConfig {
  const file = configFilePath(env);
  return resolveConfig(env, readConfigFile(file), file);
}

/** An http(s) base URL without a trailing slash; anything else is a usage error naming its origin. */
export function normaliseApiUrl(value: string, origin = 'the API URL'): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new UsageError(`${origin}: "${value}" is not a URL (expected e.g. ${DEFAULT_API_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${origin}: "${value}" must be an http:// or https:// URL`);
  }
  if (url.search || url.hash) throw new UsageError(`${origin}: "${value}" must not have a query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

/**
 * Never shows a key in full. A Kami key `kami_<12 hex>_<secret>` keeps its public prefix (the
 * part the portal lists to tell keys apart) and hides the secret; any other string keeps at most
 * its first four characters.
 */
export function maskApiKey(key: string | undefined): string {
  if (!key) return '(not set)';
  const kami = /^(kami_[0-9a-f]{12})_/.exec(key);
  if (kami) return `${kami[1]}_****`;
  return key.length > 12 ? `${key.slice(0, 4)}****` : '****';
}

/** The file with one setting changed (validated), for `kami config set`. */
export function withSetting(file: CliConfigFile, key: ConfigKey, rawValue: string): CliConfigFile {
  const value = rawValue.trim();
  if (!value) throw new UsageError(`${key} must not be empty`);
  if (key === 'api-url') return { ...file, apiUrl: normaliseApiUrl(value, 'api-url') };
  if (/\s/.test(value)) throw new UsageError('api-key must not contain spaces');
  return { ...file, apiKey: value };
}

function nonEmpty(value: string | undefined): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
