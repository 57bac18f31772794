import { Global, Module } from '@nestjs/common';
import { VaultCrypto } from './vault-crypto';

/** Encryption at rest (fingerprints, per-batch data keys, sealed credentials) for every vault feature. */
@Global()
@Module({ providers: [VaultCrypto], exports: [VaultCrypto] })
export class CryptoModule {}
