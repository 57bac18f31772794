import { sessionStore } from '../session/store';
import { createApiClient } from './client';

export { ApiError, newIdempotencyKey, type FieldError } from './client';
export { errorMessage, errorReference } from './errors';

/** The app's API client: the current session's token; any 401 ends the session (login page). */
export const api = createApiClient({
  getToken: () => sessionStore.token(),
  onUnauthenticated: () => sessionStore.clear('expired'),
});
