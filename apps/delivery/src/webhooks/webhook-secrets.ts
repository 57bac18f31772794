import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SERVICE_CONFIG } from '@kami/platform';
import type { DeliveryConfig } from '../config/delivery.config';

/** Standard Webhooks secrets: `whsec_` + base64 of the HMAC key (24 to 64 bytes; we use 32). */
export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The key a secret stands for (what the HMAC is keyed with). */
export function secretKeyBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

/** The encryption key: WEBHOOK_SECRET_KEY, delivery's own (never derived from another secret). */
export function webhookEncryptionKey(config: Pick<DeliveryConfig, 'WEBHOOK_SECRET_KEY'>): Buffer {
  const key = config.WEBHOOK_SECRET_KEY ? Buffer.from(config.WEBHOOK_SECRET_KEY, 'base64') : Buffer.alloc(0);
  // The config refuses to start without the key; this is a second lock on that door.
  if (key.length !== 32) throw new Error('WEBHOOK_SECRET_KEY (32 bytes, base64) is required');
  return key;
}

const VERSION = 'v1';

/**
 * Endpoint signing secrets at rest: AES-256-GCM, a fresh 12-byte IV each time, the endpoint id as
 * associated data (a ciphertext copied onto another endpoint does not decrypt). Stored as
 * `v1:<base64 iv|tag|ciphertext>`.
 */
@Injectable()
export class WebhookSecrets {
  private readonly key: Buffer;

  constructor(@Inject(SERVICE_CONFIG) config: DeliveryConfig) {
    this.key = webhookEncryptionKey(config);
  }

  encrypt(endpointId: string, secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(endpointId));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(endpointId: string, stored: string): string {
    const [version, data] = stored.split(':');
    if (version !== VERSION || !data) throw new Error('unknown webhook secret format');
    const raw = Buffer.from(data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(endpointId));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
