import { createHmac, timingSafeEqual } from 'node:crypto';
import { retryDelayMs } from './webhook-dispatcher';
import { newWebhookSecret, WebhookSecrets } from './webhook-secrets';
import { signWebhook } from './webhook-signature';
import type { DeliveryConfig } from '../config/delivery.config';

/** A receiver's check, written from the Standard Webhooks spec, not from our signer. */
function verifies(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

describe('signWebhook', () => {
  it('signs id.timestamp.body with the secret’s bytes, as v1,<base64>', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const header = signWebhook('msg_1', 1674087231, '{"a":1}', [secret]);
    expect(header).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifies(secret, 'msg_1', '1674087231', '{"a":1}', header)).toBe(true);
    expect(verifies(secret, 'msg_1', '1674087231', '{"a":2}', header)).toBe(false);
    expect(verifies(newWebhookSecret(), 'msg_1', '1674087231', '{"a":1}', header)).toBe(false);
  });

  it('carries one signature per secret during a rotation; either verifies', () => {
    const [next, previous] = [newWebhookSecret(), newWebhookSecret()];
    const header = signWebhook('msg_2', 1, 'x', [next, previous]);
    expect(header.split(' ')).toHaveLength(2);
    expect(verifies(next, 'msg_2', '1', 'x', header) && verifies(previous, 'msg_2', '1', 'x', header)).toBe(true);
  });
});

describe('WebhookSecrets', () => {
  const config = { NODE_ENV: 'test', WEBHOOK_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') } as DeliveryConfig;

  it('round-trips a secret, bound to its endpoint', () => {
    const secrets = new WebhookSecrets(config);
    const secret = newWebhookSecret();
    const stored = secrets.encrypt('endpoint-a', secret);
    expect(stored).not.toContain(secret.slice(6));
    expect(secrets.decrypt('endpoint-a', stored)).toBe(secret);
    expect(() => secrets.decrypt('endpoint-b', stored)).toThrow();
  });

  it('needs its own WEBHOOK_SECRET_KEY everywhere, and nothing else opens what it sealed', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      expect(() => new WebhookSecrets({ NODE_ENV, ...({ INTERNAL_IDENTITY_SECRET: 'x'.repeat(40) } as object) } as DeliveryConfig)).toThrow(/WEBHOOK_SECRET_KEY/);
    }
    const stored = new WebhookSecrets(config).encrypt('e', 'whsec_abc');
    const other = new WebhookSecrets({ ...config, WEBHOOK_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') } as DeliveryConfig);
    expect(() => other.decrypt('e', stored)).toThrow();
  });
});

describe('retryDelayMs', () => {
  it('is a uniformly random wait up to the capped exponential (full jitter)', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 100, 1_000, () => 0.999999))).toEqual([99, 199, 399, 799]);
    expect(retryDelayMs(10, 100, 1_000, () => 0.5)).toBe(500);
    expect(retryDelayMs(60, 100, 1_000, () => 0)).toBe(0);
  });
});
