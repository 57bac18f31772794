import { createLogger, createServiceDataSource, loadConfigOrExit } from '@kami/platform';
import { VaultConfig } from './config/vault.config';
import { rotateDataKeys } from './crypto/key-rotation';
import { MasterKeyringError } from './crypto/master-keyring';
import { VaultCrypto } from './crypto/vault-crypto';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from './database/vault.migrations';

/**
 * `node dist/apps/vault/src/rotate-keys.js` (`npm run vault:rotate-keys`): re-wraps every batch's
 * data key under VAULT_MASTER_KEY_ID. Rotate a master key in three steps: add the new key to
 * VAULT_MASTER_KEYS and make it VAULT_MASTER_KEY_ID (restart the vault: new batches use it), run
 * this, then remove the old key from VAULT_MASTER_KEYS. Codes are not touched; safe to run while
 * the vault runs, and to run again. Exit codes: 0 done, 1 failed, 2 some keys were locked by
 * another rotation (run it again), 78 bad configuration.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(VaultConfig, 'vault');
  const logger = createLogger('vault', config.LOG_LEVEL);
  let crypto: VaultCrypto;
  try {
    crypto = new VaultCrypto(config);
  } catch (error) {
    process.stderr.write(`vault: cannot rotate keys. ${error instanceof Error ? error.message : 'invalid master keys'}\n`);
    process.exit(78);
  }
  const dataSource = createServiceDataSource({ url: config.DATABASE_URL, service: 'vault', entities: VAULT_ENTITIES, migrations: VAULT_MIGRATIONS, poolSize: 2 });
  await dataSource.initialize();
  try {
    const report = await rotateDataKeys(dataSource, crypto, { onChunk: ({ rewrapped }) => logger.debug({ rewrapped }, 'vault key rotation: progress') });
    const from = Object.entries(report.fromKeys).map(([id, n]) => `${n} from ${id}`);
    logger.info(report, 'vault key rotation finished');
    process.stdout.write(
      report.rewrapped === 0
        ? `vault: every data key is already under master key ${report.activeKeyId}\n`
        : `vault: re-wrapped ${report.rewrapped} data key(s) under master key ${report.activeKeyId} (${from.join(', ')})\n`,
    );
    if (report.remaining > 0) {
      process.stdout.write(`vault: ${report.remaining} data key(s) were locked by another rotation and are still under older keys; run this again\n`);
      process.exitCode = 2;
    }
  } catch (error) {
    if (error instanceof MasterKeyringError) process.stderr.write(`vault: cannot rotate keys. ${error.message}\n`);
    else logger.fatal({ err: error }, 'vault key rotation failed');
    process.exitCode = 1;
  } finally {
    await dataSource.destroy();
  }
}

void main();
