import { Module } from '@nestjs/common';
import { OfferLifecycle } from './offer-lifecycle';

/** Offer pausing on its own, so products and brand authorisations can use it without a module cycle. */
@Module({ providers: [OfferLifecycle], exports: [OfferLifecycle] })
export class OfferLifecycleModule {}
