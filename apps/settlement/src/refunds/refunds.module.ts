import { Module } from '@nestjs/common';
import { RefundRequestsConsumer } from './refund-requests.consumer';
import { RefundsController } from './refunds.controller';
import { RefundsService } from './refunds.service';

/** Refunds of sold codes: operators over HTTP, disputes over Kafka, one service applying them once. */
@Module({ controllers: [RefundsController], providers: [RefundsService, RefundRequestsConsumer] })
export class RefundsModule {}
