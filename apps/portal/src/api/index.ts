import { sessionStore } from '../session/store';
import { createApiClient } from './client';
import type { Session } from './types';

export { ApiError, newIdempotencyKey, type FieldError } from './client';
export { errorMessage, errorReference } from './errors';

/** The app's API client: the current session's token; any 401 ends the session (login page). */
export const api = createApiClient({
  getToken: () => sessionStore.token(),
  onUnauthenticated: () => sessionStore.clear('expired'),
});

// Renews the session token while the user is active (the request carries the current token).
sessionStore.useRefresher(async () => (await api.post<Session>('/api/v1/identity/sessions/refresh')).accessToken);
