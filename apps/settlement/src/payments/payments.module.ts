import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { randomBytes } from 'node:crypto';
import { ROOT_LOGGER, SERVICE_CONFIG } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { PAYMENT_PROVIDER, type PaymentProvider } from './payment-provider';
import { parseChannels } from './sandbox-channels';
import { SandboxPaymentsController } from './sandbox-payments.controller';
import { SandboxProvider } from './sandbox-provider';
import { TopupExpiry } from './topup-expiry';
import { TopupsController } from './topups.controller';
import { TopupsService } from './topups.service';

/** The provider port's configured adapter: the sandbox where it is enabled, else none (top-ups answer 503). */
function createProvider(config: SettlementConfig, logger: PinoLogger): PaymentProvider | null {
  if (config.PAYMENT_PROVIDER !== 'sandbox') return null;
  let key = config.SANDBOX_PROVIDER_KEY;
  if (!key) {
    key = randomBytes(32).toString('base64url');
    logger.warn('SANDBOX_PROVIDER_KEY is not set: the sandbox signs with a random key made at start');
  }
  logger.warn('PAYMENT_PROVIDER=sandbox: top-ups are credited without any money (development and tests only)');
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  return new SandboxProvider({
    key,
    channels: parseChannels(config.SANDBOX_CHANNELS),
    notifyUrl: config.SANDBOX_NOTIFY_URL ?? `http://${host}:${config.PORT}/api/v1/settlement/providers/sandbox/notifications`,
    duplicateNotifications: config.SANDBOX_DUPLICATE_NOTIFICATIONS,
    logger: logger.child({ component: 'sandbox-provider' }),
  });
}

/** Wallet top-ups through the payment provider port; the sandbox's payer route only where the sandbox runs. */
@Module({})
export class PaymentsModule {
  static register(config: SettlementConfig): DynamicModule {
    return {
      module: PaymentsModule,
      controllers: config.PAYMENT_PROVIDER === 'sandbox' ? [TopupsController, SandboxPaymentsController] : [TopupsController],
      providers: [
        TopupsService,
        TopupExpiry,
        { provide: PAYMENT_PROVIDER, inject: [SERVICE_CONFIG, ROOT_LOGGER], useFactory: createProvider },
      ],
    };
  }
}
