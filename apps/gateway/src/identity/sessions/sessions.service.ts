import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ORGANISATION_TYPES } from '@kami/contracts';
import { Redis, SERVICE_CONFIG, ROLES, type Identity } from '@kami/platform';
import type { GatewayConfig } from '../../config/gateway.config';
import { LoginThrottle, loginAccountKey } from '../../rate-limit/login-throttle';
import { dummyPasswordHash, hashPassword, passwordNeedsRehash, verifyPassword } from '../credentials';
import { invalidCredentials, sessionExpired } from '../identity.errors';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { UserEntity } from '../users/user.entity';
import type { SessionDto } from '../dto/identity.dto';

interface SessionClaims {
  sub: string;
  org: string;
  orgType: Identity['organisationType'];
  roles: Identity['roles'];
  /** When the user logged in with the password (seconds since the epoch); kept across refreshes. */
  auth_time?: number;
  /** The login this token belongs to (kept across refreshes): what logout ends. */
  sid?: string;
}

/** The verified claims, with what the JWT library adds. */
type VerifiedClaims = SessionClaims & { auth_time: number; iat?: number; exp: number };

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Portal sessions: email + password in, a short-lived JWT out. While the user is active the portal
 * trades its token for a fresh one (refresh); the user and organisation are read again then, so a
 * removed user or changed roles take effect at the next refresh, and no token outlives
 * SESSION_MAX_AGE_SECONDS from the login. Logout ends the login (`sid`) in Redis until its maximum
 * age has passed, so none of its tokens (the current one, those it was renewed from) is accepted
 * again, on any gateway instance.
 */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(OrganisationEntity) private readonly organisations: Repository<OrganisationEntity>,
    private readonly jwt: JwtService,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly throttle: LoginThrottle,
    private readonly redis: Redis,
  ) {}

  /**
   * 401 invalid_credentials for a wrong email or password; 429 rate_limited (Retry-After) while the
   * account waits after too many failures (LoginThrottle), whatever the password.
   */
  async login(email: string, password: string): Promise<SessionDto> {
    const user = await this.users.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
    // An unknown email is throttled like an account: the answers never tell which emails exist.
    const account = loginAccountKey(email, user?.id);
    await this.throttle.attempt(account);
    // Verify against a dummy hash when the user is unknown: same work, same answer, no email oracle.
    const ok = await verifyPassword(password, user?.passwordHash ?? dummyPasswordHash(this.config.PASSWORD_HASH_COST));
    if (!user || !ok) throw invalidCredentials();
    await this.throttle.succeeded(account);
    if (passwordNeedsRehash(user.passwordHash, this.config.PASSWORD_HASH_COST)) await this.rehash(user, password);
    return this.issue(user, nowSeconds(), randomUUID());
  }

  /**
   * Replaces a hash made with older scrypt parameters, now that the password is known to be right;
   * only if it is still the hash just verified (a password changed meanwhile is left alone).
   */
  private async rehash(user: UserEntity, password: string): Promise<void> {
    await this.users.update({ id: user.id, passwordHash: user.passwordHash }, { passwordHash: await hashPassword(password, this.config.PASSWORD_HASH_COST) });
  }

  /** A fresh token for a valid session token, within the session's maximum age; otherwise 401 session_expired. */
  async refresh(token: string): Promise<SessionDto> {
    const claims = await this.verify(token);
    const user = await this.users.findOneBy({ id: claims.sub });
    if (!user || user.organisationId !== claims.org) throw sessionExpired();
    // A token from before sessions had ids starts one (the token itself lives out its few minutes).
    return this.issue(user, claims.auth_time, claims.sid ?? randomUUID());
  }

  /** Ends the session of a valid session token: it and every token of the same login are refused from now on. */
  async logout(token: string): Promise<void> {
    const claims = await this.verify(token);
    const until = claims.sid ? claims.auth_time + this.config.SESSION_MAX_AGE_SECONDS : claims.exp;
    await this.redis.set(this.revokedKey(token, claims), '1', 'EX', Math.max(1, until - nowSeconds() + 1));
  }

  /** The Redis key that marks a session ended: its id, or (a token without one) the token's digest. */
  private revokedKey(token: string, claims: Pick<SessionClaims, 'sid'>): string {
    const id = claims.sid ?? `token:${createHash('sha256').update(token).digest('base64url')}`;
    return `${this.config.REDIS_KEY_PREFIX}session-ended:${id}`;
  }

  async identify(token: string): Promise<Identity> {
    const claims = await this.verify(token);
    return { organisationId: claims.org, organisationType: claims.orgType, principalType: 'user', principalId: claims.sub, roles: claims.roles };
  }

  /** The claims of a valid token of a session not ended; otherwise 401 session_expired. */
  private async verify(token: string): Promise<VerifiedClaims> {
    let claims: SessionClaims & { iat?: number; exp: number };
    try {
      claims = await this.jwt.verifyAsync<SessionClaims & { iat?: number; exp: number }>(token, { audience: 'kami-portal', issuer: 'kami-gateway', algorithms: ['HS256'] });
    } catch {
      throw sessionExpired();
    }
    if (!ORGANISATION_TYPES.includes(claims.orgType) || !Array.isArray(claims.roles) || !claims.roles.every((r) => ROLES.includes(r))) throw sessionExpired();
    // Tokens from before auth_time existed count from their issue time.
    const authTime = claims.auth_time ?? claims.iat ?? 0;
    if (nowSeconds() >= authTime + this.config.SESSION_MAX_AGE_SECONDS) throw sessionExpired();
    if (claims.sid !== undefined && (typeof claims.sid !== 'string' || claims.sid.length > 64)) throw sessionExpired();
    if ((await this.redis.exists(this.revokedKey(token, claims))) > 0) throw sessionExpired();
    return { ...claims, auth_time: authTime };
  }

  /** A token for the user as stored now, expiring after JWT_TTL_SECONDS or at the session's maximum age. */
  private async issue(user: UserEntity, authTime: number, sid: string): Promise<SessionDto> {
    const organisation = await this.organisations.findOneByOrFail({ id: user.organisationId });
    const now = nowSeconds();
    const exp = Math.min(now + this.config.JWT_TTL_SECONDS, authTime + this.config.SESSION_MAX_AGE_SECONDS);
    const claims: SessionClaims & { iat: number; exp: number } = {
      sub: user.id,
      org: organisation.id,
      orgType: organisation.type,
      roles: user.roles,
      auth_time: authTime,
      sid,
      iat: now,
      exp,
    };
    const accessToken = await this.jwt.signAsync(claims, { audience: 'kami-portal', issuer: 'kami-gateway' });
    return { accessToken, tokenType: 'Bearer', expiresIn: exp - now };
  }
}
