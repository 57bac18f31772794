import { DomainError } from '@kami/platform';
import type { DisputeStatus } from './dispute-state';

/** Stable codes of the dispute routes (/api/v1/disputes). */
export const DisputeErrorCode = {
  DisputeNotFound: 'dispute_not_found',
  CodeNotFound: 'code_not_found',
  DisputeWindowClosed: 'dispute_window_closed',
  CodeAlreadyDisputed: 'code_already_disputed',
  DisputeNotActionable: 'dispute_not_actionable',
} as const;

export const disputeNotFound = (): DomainError =>
  // Also for a dispute of another organisation: whether it exists is none of the caller's business.
  new DomainError(DisputeErrorCode.DisputeNotFound, 404, 'No such dispute.');

export const codeNotFound = (): DomainError =>
  // Also for a code delivered to someone else.
  new DomainError(DisputeErrorCode.CodeNotFound, 404, 'No such code among the codes delivered to you.');

export const disputeWindowClosed = (deliveredAt: Date, windowSeconds: number): DomainError =>
  new DomainError(DisputeErrorCode.DisputeWindowClosed, 422, `Codes may be disputed within ${windowSeconds} seconds of their delivery; this one was delivered at ${deliveredAt.toISOString()}.`, {
    deliveredAt: deliveredAt.toISOString(),
    windowSeconds,
  });

export const codeAlreadyDisputed = (disputeId: string): DomainError =>
  new DomainError(DisputeErrorCode.CodeAlreadyDisputed, 409, 'This code has already been disputed; a code is disputed once.', { disputeId });

export const disputeNotActionable = (status: DisputeStatus): DomainError =>
  new DomainError(DisputeErrorCode.DisputeNotActionable, 409, `A ${status} dispute cannot take this decision now.`, { disputeStatus: status });
