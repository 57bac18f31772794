import { Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module';
import { OrderStatusWatch } from './order-status-watch';
import { OrderStore } from './order-store';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

@Module({
  imports: [ProjectionsModule],
  controllers: [OrdersController],
  providers: [OrdersService, OrderStore, OrderStatusWatch],
  exports: [OrderStore, OrdersService],
})
export class OrdersModule {}
