import type { PaymentChannel } from './payment-provider';

/** The single-payment limit of a channel configured without one, in fen (¥50,000). */
export const DEFAULT_CHANNEL_LIMIT = 5_000_000;

/** `name[:limit][,name[:limit]…]`, each limit a whole number of fen of at least 1. */
export const CHANNELS_PATTERN = /^[a-z][a-z0-9_]{0,31}(:[1-9]\d{0,14})?(,[a-z][a-z0-9_]{0,31}(:[1-9]\d{0,14})?)*$/;

/**
 * `standard:5000000,restricted:30000` → the channels and their single-payment limits. Every
 * channel has a limit: one named without any gets DEFAULT_CHANNEL_LIMIT, and a limit of 0 (which
 * used to mean "none") is refused, so a misconfigured channel cannot take an unlimited payment.
 */
export function parseChannels(spec: string): Map<string, PaymentChannel> {
  if (!CHANNELS_PATTERN.test(spec)) throw new Error('channels are name[:limit] pairs, each limit at least 1 fen');
  return new Map(
    spec.split(',').map((pair) => {
      const [name, limit] = pair.split(':') as [string, string | undefined];
      return [name, { name, singlePaymentLimit: limit === undefined ? DEFAULT_CHANNEL_LIMIT : Number(limit) }];
    }),
  );
}
