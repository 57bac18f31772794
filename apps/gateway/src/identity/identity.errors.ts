import { DomainError } from '@kami/platform';

/** Stable codes of the identity domain. */
export const IdentityErrorCode = {
  InvalidCredentials: 'invalid_credentials',
  InvalidApiKey: 'invalid_api_key',
  SessionExpired: 'session_expired',
  EmailTaken: 'email_taken',
  ApiKeyNotFound: 'api_key_not_found',
  NotASupplier: 'not_a_supplier',
  ScopesNotAllowed: 'api_key_scopes_not_allowed',
} as const;

export class IdentityError extends DomainError {}

export const invalidCredentials = (): IdentityError =>
  // One answer for an unknown email and a wrong password, so nobody learns which emails exist.
  new IdentityError(IdentityErrorCode.InvalidCredentials, 401, 'The email or password is incorrect.');
export const invalidApiKey = (): IdentityError =>
  new IdentityError(IdentityErrorCode.InvalidApiKey, 401, 'The API key is not valid (unknown or revoked).');
export const sessionExpired = (): IdentityError =>
  new IdentityError(IdentityErrorCode.SessionExpired, 401, 'The session token is invalid or has expired; log in again.');
export const emailTaken = (): IdentityError =>
  new IdentityError(IdentityErrorCode.EmailTaken, 409, 'A user with this email already exists.');
export const scopesNotAllowed = (organisationType: string, scopes: string[]): IdentityError =>
  new IdentityError(IdentityErrorCode.ScopesNotAllowed, 422, `A ${organisationType} organisation's API key cannot hold ${scopes.join(', ')}.`, { scopes });
export const apiKeyNotFound = (): IdentityError =>
  new IdentityError(IdentityErrorCode.ApiKeyNotFound, 404, 'No such API key in your organisation.');
