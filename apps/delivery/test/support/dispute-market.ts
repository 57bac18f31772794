import { randomUUID } from 'node:crypto';
import type { Account, ApiResponse, SystemHarness } from '@kami/testing';

/*
 * What the dispute tests need beyond the shared marketplace (@kami/testing): the disputes API
 * through the gateway. Money and stock as the parties see them (wallet, accounts, stockOf) and
 * the system's invariants come from @kami/testing as well.
 */

export function disputesApi(h: SystemHarness) {
  const call = (account: Account, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> =>
    h.gateway.request(method, `/api/v1/disputes${path}`, { token: account.token, ...options });

  return {
    open(buyer: Account, body: unknown, key: string = randomUUID()): Promise<ApiResponse> {
      return call(buyer, 'POST', '', { json: body, headers: { 'Idempotency-Key': key } });
    },
    get(account: Account, id: string): Promise<ApiResponse> {
      return call(account, 'GET', `/${id}`);
    },
    list(account: Account, query = ''): Promise<ApiResponse> {
      return call(account, 'GET', query);
    },
    decide(account: Account, id: string, decision: 'replace' | 'refund' | 'reject'): Promise<ApiResponse> {
      return call(account, 'POST', `/${id}/${decision}`);
    },
    resolve(operator: Account, id: string, decision: 'replace' | 'refund' | 'reject'): Promise<ApiResponse> {
      return call(operator, 'POST', `/${id}/resolve`, { json: { decision } });
    },
  };
}
