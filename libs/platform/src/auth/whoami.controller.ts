import { Controller, Get, type Type } from '@nestjs/common';
import { CurrentIdentity } from './access';
import type { Identity } from './identity';

/**
 * `GET /api/v1/<area>/whoami`: the caller as this service sees it, after the gateway forwarded
 * and signed it. Lets an integrator (or an operator debugging routing) check their credentials.
 */
export function createWhoAmIController(area: string): Type {
  @Controller(`api/v1/${area}`)
  class WhoAmIController {
    @Get('whoami')
    whoami(@CurrentIdentity() identity: Identity): Identity {
      return identity;
    }
  }
  return WhoAmIController;
}
