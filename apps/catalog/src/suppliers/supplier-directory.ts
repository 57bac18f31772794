import { Injectable, type OnModuleInit } from '@nestjs/common';
import { OrganisationRegistered, type EventEnvelope, type OrganisationRegisteredPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';

/**
 * Keeps the names of supplier organisations from `gateway.organisation.v1`, so offers and
 * comparisons can say who sells without the catalog reading the gateway's tables.
 */
@Injectable()
export class SupplierDirectory implements OnModuleInit {
  constructor(private readonly messaging: Messaging) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('supplier-directory', [
      {
        events: [OrganisationRegistered],
        handler: async (envelope, { manager }) => {
          const { organisationId, type, name } = (envelope as EventEnvelope<OrganisationRegisteredPayload>).payload;
          if (type !== 'supplier') return;
          await manager.query(
            `INSERT INTO supplier (id, name, registered_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name`,
            [organisationId, name, envelope.occurredAt],
          );
        },
      },
    ]);
  }
}
