import pino from 'pino';
import { InvalidNotificationError } from './payment-provider';
import { DEFAULT_CHANNEL_LIMIT, parseChannels } from './sandbox-channels';
import { SandboxProvider } from './sandbox-provider';

describe('the sandbox payment provider', () => {
  const key = 'k'.repeat(40);
  const sandbox = new SandboxProvider({ key, channels: parseChannels('standard,restricted:30000'), notifyUrl: 'http://127.0.0.1:1/x', duplicateNotifications: true, logger: pino({ level: 'silent' }) });
  const payment = { providerPaymentId: 'sbx_1', merchantReference: '4b1b7d3c-6b8e-4d1e-9a55-0d8c2b9f7a10', amount: 12_345, currency: 'CNY' };

  it('parses channels and their single-payment limits; a channel named without one gets the default, never none', () => {
    expect(sandbox.channel('restricted')).toEqual({ name: 'restricted', singlePaymentLimit: 30_000 });
    expect(sandbox.channel('standard')).toEqual({ name: 'standard', singlePaymentLimit: DEFAULT_CHANNEL_LIMIT });
    expect(sandbox.channel('other')).toBeUndefined();
    expect(() => parseChannels('standard:0')).toThrow(/at least 1 fen/);
  });

  it('verifies its own signed notifications', () => {
    const notification = sandbox.notificationFor(payment);
    expect(sandbox.verifyNotification({ headers: {}, body: notification })).toEqual({
      notificationId: notification.notify_id,
      providerPaymentId: 'sbx_1',
      merchantReference: payment.merchantReference,
      amount: 12_345,
      currency: 'CNY',
      outcome: 'paid',
    });
    expect(sandbox.verifyNotification({ headers: {}, body: sandbox.notificationFor(payment, 'failed') }).outcome).toBe('failed');
  });

  it('refuses a notification whose fields were changed, signed with another key, unsigned or malformed', () => {
    const notification = sandbox.notificationFor(payment);
    const verify = (body: unknown): unknown => sandbox.verifyNotification({ headers: {}, body });
    expect(() => verify({ ...notification, total_amount: '99999' })).toThrow(InvalidNotificationError);
    const other = new SandboxProvider({ key: 'x'.repeat(40), channels: new Map(), notifyUrl: '', duplicateNotifications: false, logger: pino({ level: 'silent' }) });
    expect(() => verify(other.notificationFor(payment))).toThrow(/bad signature/);
    expect(() => verify({ ...notification, sign: undefined })).toThrow(/not signed/);
    expect(() => verify({ ...notification, out_trade_no: 'a&total_amount=1' })).toThrow(/malformed/);
    expect(() => verify(undefined)).toThrow(InvalidNotificationError);
  });

  it('answers queries about its intents: pending, then paid once paid, or closed past the expiry; an expired intent cannot be paid', async () => {
    const now = Date.now();
    const request = { merchantReference: payment.merchantReference, amount: 500, currency: 'CNY', channel: 'standard', description: 'x', expiresAt: new Date(now + 60_000) };
    const paid = await sandbox.createIntent(request);
    const unpaid = await sandbox.createIntent(request);
    const ref = (providerPaymentId: string): { merchantReference: string; providerPaymentId: string } => ({ merchantReference: payment.merchantReference, providerPaymentId });
    expect(await sandbox.queryPayment(ref(paid.providerPaymentId))).toEqual({ state: 'pending' });

    const notification = sandbox.pay({ ...ref(paid.providerPaymentId), amount: 500, currency: 'CNY', expiresAt: request.expiresAt });
    expect(notification).toMatchObject({ trade_no: paid.providerPaymentId, total_amount: '500', trade_status: 'TRADE_SUCCESS' });
    const later = new Date(now + 120_000);
    expect(await sandbox.queryPayment(ref(paid.providerPaymentId), later)).toEqual({ state: 'paid', providerPaymentId: paid.providerPaymentId, amount: 500, currency: 'CNY' });
    expect(await sandbox.queryPayment(ref(unpaid.providerPaymentId), later)).toEqual({ state: 'closed' });
    expect(sandbox.pay({ ...ref(unpaid.providerPaymentId), amount: 500, currency: 'CNY', expiresAt: request.expiresAt }, later)).toBe('expired');
    expect(await sandbox.queryPayment(ref('sbx_unknown'))).toEqual({ state: 'not_found' });
    expect(await sandbox.queryPayment({ merchantReference: 'other', providerPaymentId: paid.providerPaymentId })).toEqual({ state: 'not_found' });
  });
});
