import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { CredentialRevoked, type CredentialRevokedPayload, type EventEnvelope } from '@kami/contracts';
import { Messaging } from '@kami/platform';

/**
 * An endpoint lives on its creator's access: when the gateway revokes the API key (or removes the
 * user) that created webhook endpoints, they are turned off in the same transaction as the event's
 * inbox row. A user of the organisation may look at them and turn them on again.
 */
@Injectable()
export class WebhookCreatorsConsumer implements OnModuleInit {
  private readonly logger = new Logger(WebhookCreatorsConsumer.name);

  constructor(private readonly messaging: Messaging) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('webhook-creators', [
      {
        events: [CredentialRevoked],
        handler: async (envelope, { manager }) => {
          const { organisationId, principalType, principalId } = (envelope as EventEnvelope<CredentialRevokedPayload>).payload;
          const stopped: { id: string }[] = await manager.query(
            `UPDATE webhook_endpoint SET enabled = false, updated_at = now()
              WHERE organisation_id = $1 AND created_by_type = $2 AND created_by_id = $3 AND enabled RETURNING id::text`,
            [organisationId, principalType, principalId],
          );
          if (stopped.length > 0) this.logger.log({ organisationId, principalType, principalId, endpoints: stopped.map((e) => e.id) }, 'turned off the webhook endpoints of a revoked creator');
        },
      },
    ]);
  }
}
