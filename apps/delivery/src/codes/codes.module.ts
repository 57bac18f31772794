import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { VaultModule } from '../vault/vault.module';
import { OrderCodesController } from './order-codes.controller';
import { OrderCodesService } from './order-codes.service';

/** An order's codes for its buyer: paged JSON (with long-poll) and the CSV download. */
@Module({ imports: [OrdersModule, VaultModule], controllers: [OrderCodesController], providers: [OrderCodesService] })
export class CodesModule {}
