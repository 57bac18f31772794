export { ReservationCore, RESERVATION_REDIS_OPTIONS, type ReservationCoreOptions } from './reservation-core';
export { ReservationCoreError, MAX_QUANTITY } from './validation';
export { offerKeys, type OfferKeys } from './keys';
export * from './types';
