import type { EntityManager } from 'typeorm';
import type { Identity } from '@kami/platform';

/**
 * Sensitive catalog actions (approvals, revocations, status changes made for others), written in
 * the same transaction as the change so the log can never disagree with the data.
 */
export async function recordAudit(
  manager: EntityManager,
  actor: Identity | 'system',
  action: string,
  subject: { type: string; id: string },
  detail: Record<string, unknown> = {},
): Promise<void> {
  await manager.query(
    `INSERT INTO audit_log (actor_organisation_id, actor_principal, action, subject_type, subject_id, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      actor === 'system' ? null : actor.organisationId,
      actor === 'system' ? 'system' : `${actor.principalType}:${actor.principalId}`,
      action,
      subject.type,
      subject.id,
      JSON.stringify(detail),
    ],
  );
}
