import { ConfigValidationError, loadConfig } from '@kami/platform';
import { GatewayConfig, trustedProxies } from './gateway.config';

/** The settings the gateway refuses to start with, for this TRUSTED_PROXIES (others are simply unset here). */
function refusedWith(value: string): string[] {
  try {
    loadConfig(GatewayConfig, { TRUSTED_PROXIES: value });
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems.map((p) => p.variable);
    throw error;
  }
  return [];
}

describe('TRUSTED_PROXIES', () => {
  it('trusts loopback by default', () => {
    expect(trustedProxies(new GatewayConfig())).toEqual(['loopback']);
  });

  it.each([
    ['10.0.0.0/8, fd00::/8,192.168.1.7,172.16.0.0/255.240.0.0,uniquelocal', ['10.0.0.0/8', 'fd00::/8', '192.168.1.7', '172.16.0.0/255.240.0.0', 'uniquelocal']],
    ['none', false],
  ])('takes %p', (value, expected) => {
    expect(refusedWith(value)).not.toContain('TRUSTED_PROXIES');
    expect(trustedProxies({ TRUSTED_PROXIES: value })).toEqual(expected);
  });

  it.each(['10.0.0.0/33', 'fd00::/129', 'ingress.local', '10.0.0.0/8,', '*', '10.0.0.1/8/8', 'none,loopback'])('refuses %p, naming the setting', (value) => {
    expect(refusedWith(value)).toContain('TRUSTED_PROXIES');
  });
});

describe('PASSWORD_HASH_COST', () => {
  const named = (env: NodeJS.ProcessEnv): string[] => {
    try {
      loadConfig(GatewayConfig, env);
    } catch (error) {
      if (error instanceof ConfigValidationError) return error.problems.map((p) => p.variable);
      throw error;
    }
    return [];
  };

  it('is OWASP’s minimum for scrypt (N=2^17) by default, and production takes nothing below it', () => {
    expect(new GatewayConfig().PASSWORD_HASH_COST).toBe(17);
    expect(named({ NODE_ENV: 'production', PASSWORD_HASH_COST: '16' })).toContain('PASSWORD_HASH_COST');
    expect(named({ NODE_ENV: 'production', PASSWORD_HASH_COST: '17' })).not.toContain('PASSWORD_HASH_COST');
    // The test harness's lower cost is for tests only.
    expect(named({ NODE_ENV: 'test', PASSWORD_HASH_COST: '15' })).not.toContain('PASSWORD_HASH_COST');
  });
});
