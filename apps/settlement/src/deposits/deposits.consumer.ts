import { Injectable, type OnModuleInit } from '@nestjs/common';
import { OrganisationRegistered, type EventEnvelope, type OrganisationRegisteredPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { DepositsService } from './deposits.service';

/** New suppliers get their first deposit status (nothing held yet), so the catalog knows where they stand. */
@Injectable()
export class DepositsConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly deposits: DepositsService,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('supplier-deposits', [
      {
        events: [OrganisationRegistered],
        handler: async (envelope, { manager }) => {
          const { organisationId, type } = (envelope as EventEnvelope<OrganisationRegisteredPayload>).payload;
          if (type === 'supplier') await this.deposits.supplierRegistered(manager, organisationId);
        },
      },
    ]);
  }
}
