import {
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { OrganisationType } from '@kami/contracts';
import { DomainError } from '../errors/domain-error';
import type { Identity, Role } from './identity';

export const ACCESS_POLICY = 'kami:access-policy';

export interface AccessPolicy {
  /** No identity needed (health, login). */
  public?: boolean;
  /** Organisation types allowed; any when omitted. */
  organisationTypes?: OrganisationType[];
  /**
   * Roles a portal user needs within the organisation; any when omitted. API keys are not held to
   * roles: an admin chose what each key may do (its scopes), and the gateway enforces those.
   */
  roles?: Role[];
  /** Whether API keys may call it (portal-only routes say false). Default true. */
  apiKeys?: boolean;
}

/** Says who may call a route: `@Access({ organisationTypes: ['supplier'] })`. */
export const Access = (policy: AccessPolicy): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, policy);
export const Public = (): MethodDecorator & ClassDecorator => Access({ public: true });

export type RequestWithIdentity = Request & { identity?: Identity };

/** The verified caller of the current request (set by the identity resolver before guards run). */
export const CurrentIdentity = createParamDecorator((_: unknown, context: ExecutionContext): Identity => {
  const request = context.switchToHttp().getRequest<RequestWithIdentity>();
  if (!request.identity) throw new DomainError('unauthenticated', 401, 'Authentication is required.');
  return request.identity;
});

/** Resolves the identity of a request; each app supplies its own (gateway: sessions and keys, services: signed header). */
export abstract class IdentityResolver {
  abstract resolve(request: Request): Promise<Identity | undefined>;
}

/**
 * Global guard: every route needs an identity unless it is public, and must satisfy its
 * access policy. A missing identity is 401, a wrong organisation type or role 403.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: IdentityResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const policy =
      this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [context.getHandler(), context.getClass()]) ?? {};
    if (policy.public) return true;
    const request = context.switchToHttp().getRequest<RequestWithIdentity>();
    const identity = request.identity ?? (await this.resolver.resolve(request));
    if (!identity) throw new DomainError('unauthenticated', 401, 'Authentication is required.');
    request.identity = identity;
    assertAccess(policy, identity);
    return true;
  }
}

/**
 * What the guard demands of an identity a route's policy admits: API keys where allowed, the
 * organisation type, the role. Also for a route that answers for many callers at once (a batch of
 * storefront pulls the gateway grouped), each held to the policy of the route it stands for.
 */
export function assertAccess(policy: AccessPolicy, identity: Identity): void {
  if (policy.apiKeys === false && identity.principalType === 'api_key') {
    throw new DomainError('forbidden_for_api_keys', 403, 'This action is only available in the portal.');
  }
  if (policy.organisationTypes && !policy.organisationTypes.includes(identity.organisationType)) {
    throw new DomainError(
      'forbidden_organisation_type',
      403,
      `This action is only available to ${policy.organisationTypes.join(' or ')} organisations.`,
    );
  }
  if (policy.roles && identity.principalType === 'user' && !identity.roles.some((r) => policy.roles?.includes(r))) {
    throw new DomainError('forbidden_role', 403, `This action needs the ${policy.roles.join(' or ')} role.`);
  }
}
