import { existsSync } from 'node:fs';
import { readAll, type Io } from '../cli/io';
import { UsageError } from '../cli/cli-errors';
import { CONFIG_KEYS, configFilePath, loadConfig, maskApiKey, readConfigFile, withSetting, writeConfigFile, type ConfigKey, type ValueSource } from './cli-config';

/** `kami config set api-url URL` / `kami config set api-key KEY` (KEY `-` reads it from stdin, out of the shell history). */
export async function setConfig(key: string, value: string, io: Io): Promise<number> {
  if (!(key in CONFIG_KEYS)) throw new UsageError(`unknown setting "${key}" (expected one of: ${Object.keys(CONFIG_KEYS).join(', ')})`);
  const name = key as ConfigKey;
  const raw = name === 'api-key' && value === '-' ? await readAll(io.stdin) : value;
  const file = configFilePath(io.env);
  const next = withSetting(readConfigFile(file), name, raw);
  writeConfigFile(file, next);
  const shown = name === 'api-key' ? maskApiKey(next.apiKey) : next.apiUrl;
  io.stdout.write(`${name} set to ${shown} in ${file}\n`);
  const overriding = name === 'api-key' ? 'KAMI_API_KEY' : 'KAMI_API_URL';
  if (io.env[overriding]?.trim()) io.stderr.write(`note: ${overriding} is set in the environment and takes precedence over the file\n`);
  return 0;
}

/** `kami config show`: where each setting comes from; the key masked. */
export function showConfig(io: Io): number {
  const config = loadConfig(io.env);
  const from = (source: ValueSource, variable: string): string =>
    source === 'env' ? `from ${variable}` : source === 'file' ? 'from the config file' : source === 'default' ? 'default' : 'not set';
  const rows = [
    ['config file', `${config.configPath}${existsSync(config.configPath) ? '' : ' (not created yet)'}`],
    ['api-url', `${config.apiUrl}  (${from(config.apiUrlSource, 'KAMI_API_URL')})`],
    ['api-key', config.apiKey ? `${maskApiKey(config.apiKey)}  (${from(config.apiKeySource, 'KAMI_API_KEY')})` : 'not set (KAMI_API_KEY or `kami config set api-key KEY`)'],
  ];
  io.stdout.write(rows.map(([label, value]) => `${label!.padEnd(12)}${value}`).join('\n') + '\n');
  return 0;
}
