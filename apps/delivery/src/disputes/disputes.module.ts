import { Module } from '@nestjs/common';
import { DisputeOutcomes } from './dispute-outcomes';
import { DisputeOutcomesConsumer } from './dispute-outcomes.consumer';
import { DisputeStore } from './dispute-store';
import { DisputesController } from './disputes.controller';
import { DisputesService } from './disputes.service';

/** Disputes about delivered codes: the buyer's report, the supplier's and operators' decisions, and the vault's and settlement's answers. */
@Module({ controllers: [DisputesController], providers: [DisputeStore, DisputesService, DisputeOutcomes, DisputeOutcomesConsumer] })
export class DisputesModule {}
