import { randomUUID } from 'node:crypto';
import { OrganisationRegistered } from './identity/organisation-registered.event';
import { validateEvent } from './event-registry';

const envelope = (overrides: Record<string, unknown> = {}, payload: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: randomUUID(),
  type: OrganisationRegistered.type,
  occurredAt: new Date().toISOString(),
  aggregateId: 'org-1',
  payload: { organisationId: randomUUID(), type: 'merchant', name: 'Little Deer Cards', ...payload },
  ...overrides,
});

describe('validateEvent', () => {
  it('accepts a well-formed event and returns its payload as the contract class', async () => {
    const result = await validateEvent(envelope(), [OrganisationRegistered]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.envelope.payload).toBeInstanceOf(OrganisationRegistered.payload);
  });

  it('refuses an envelope without an id, naming the field', async () => {
    const result = await validateEvent(envelope({ id: 'not-a-uuid' }), [OrganisationRegistered]);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('id:') });
  });

  it('refuses a type the consumer does not expect', async () => {
    const result = await validateEvent(envelope({ type: 'identity.organisation.deleted' }), [OrganisationRegistered]);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('unexpected event type') });
  });

  it('refuses a payload with a bad or unknown field, naming it', async () => {
    const bad = await validateEvent(envelope({}, { type: 'reseller' }), [OrganisationRegistered]);
    expect(bad).toEqual({ ok: false, reason: expect.stringContaining('type:') });
    const unknown = await validateEvent(envelope({}, { plaintext: 'X' }), [OrganisationRegistered]);
    expect(unknown).toEqual({ ok: false, reason: expect.stringContaining('plaintext') });
  });

  it('refuses values that are not objects', async () => {
    expect((await validateEvent('text', [OrganisationRegistered])).ok).toBe(false);
    expect((await validateEvent([envelope()], [OrganisationRegistered])).ok).toBe(false);
  });
});
