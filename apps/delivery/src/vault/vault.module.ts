import { Module } from '@nestjs/common';
import { VaultRevealClient } from './vault-reveal.client';

/** Delivery's client of the vault's audited reveal. */
@Module({ providers: [VaultRevealClient], exports: [VaultRevealClient] })
export class VaultModule {}
