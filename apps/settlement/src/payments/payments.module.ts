import { Module } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { randomBytes } from 'node:crypto';
import { ROOT_LOGGER, SERVICE_CONFIG } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { PAYMENT_PROVIDER } from './payment-provider';
import { parseChannels, SandboxProvider } from './sandbox-provider';
import { TopupExpiry } from './topup-expiry';
import { TopupsController } from './topups.controller';
import { TopupsService } from './topups.service';

/** The provider port's configured adapter (only the sandbox so far). */
function createProvider(config: SettlementConfig, logger: PinoLogger): SandboxProvider {
  let key = config.SANDBOX_PROVIDER_KEY;
  if (!key) {
    if (config.NODE_ENV === 'production') throw new Error('SANDBOX_PROVIDER_KEY is required in production when PAYMENT_PROVIDER=sandbox');
    key = randomBytes(32).toString('base64url');
    logger.warn('SANDBOX_PROVIDER_KEY is not set: the sandbox signs with a random key made at start');
  }
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  return new SandboxProvider({
    key,
    channels: parseChannels(config.SANDBOX_CHANNELS),
    notifyUrl: config.SANDBOX_NOTIFY_URL ?? `http://${host}:${config.PORT}/api/v1/settlement/providers/sandbox/notifications`,
    duplicateNotifications: config.SANDBOX_DUPLICATE_NOTIFICATIONS,
    logger: logger.child({ component: 'sandbox-provider' }),
  });
}

/** Wallet top-ups through the payment provider port. */
@Module({
  controllers: [TopupsController],
  providers: [
    TopupsService,
    TopupExpiry,
    { provide: PAYMENT_PROVIDER, inject: [SERVICE_CONFIG, ROOT_LOGGER], useFactory: createProvider },
  ],
})
export class PaymentsModule {}
