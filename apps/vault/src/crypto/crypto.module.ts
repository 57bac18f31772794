import { Global, Module } from '@nestjs/common';
import { KeyringCheck } from './keyring-check';
import { VaultCrypto } from './vault-crypto';

/**
 * Encryption at rest (fingerprints, per-batch data keys, sealed credentials) for every vault
 * feature; the start stops when the master keys do not open a batch with codes on sale or sold.
 */
@Global()
@Module({ providers: [VaultCrypto, KeyringCheck], exports: [VaultCrypto] })
export class CryptoModule {}
