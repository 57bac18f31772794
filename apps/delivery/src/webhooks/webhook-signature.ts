import { createHmac } from 'node:crypto';
import { secretKeyBytes } from './webhook-secrets';

/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com): base64 HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the secret's bytes, as `v1,<sig>`. Several
 * secrets (during a rotation) give several space-separated signatures; a receiver accepts any.
 */
export function signWebhook(id: string, timestamp: number, body: string, secrets: readonly string[]): string {
  return secrets
    .map((secret) => `v1,${createHmac('sha256', secretKeyBytes(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`)
    .join(' ');
}
