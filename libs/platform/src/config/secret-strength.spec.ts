import { randomBytes } from 'node:crypto';
import { IsIn, IsString } from 'class-validator';
import { ConfigValidationError, loadConfig } from './load-config';
import { StrongSecretInProduction, weakSecretReason } from './secret-strength';

describe('secrets production accepts', () => {
  it('passes generated keys, in base64, base64url and hex', () => {
    for (let i = 0; i < 200; i++) {
      expect(weakSecretReason(randomBytes(32).toString('base64'))).toBeUndefined();
      expect(weakSecretReason(randomBytes(32).toString('base64url'))).toBeUndefined();
      expect(weakSecretReason(randomBytes(32).toString('hex'))).toBeUndefined();
    }
  });

  it('refuses published development values, placeholders in clear or in base64, short keys and repetitive ones', () => {
    expect(weakSecretReason('dev-only-jwt-signing-secret-not-for-production')).toBe('is a published development value');
    expect(weakSecretReason('ZGV2LW9ubHktbWFzdGVyLWtleS1ub3QtZm9yLXByb2Q=')).toBe('is a published development value');
    expect(weakSecretReason('my-own-changeme-secret-of-quite-some-length')).toMatch(/placeholder/);
    expect(weakSecretReason(Buffer.from('a master key that is not-for-production').toString('base64'))).toMatch(/placeholder/);
    expect(weakSecretReason(randomBytes(16).toString('hex').slice(0, 31))).toMatch(/shorter than 32/);
    expect(weakSecretReason('k'.repeat(40))).toMatch(/distinct/);
    expect(weakSecretReason('abcdabcdabcdabcdabcdabcdabcdabcdabcd')).toMatch(/distinct/);
  });

  class WithSecret {
    @IsIn(['development', 'production'])
    NODE_ENV = 'development';

    @IsString()
    @StrongSecretInProduction((value) => value.split(',').map((pair) => pair.slice(pair.indexOf(':') + 1)))
    KEYS!: string;
  }
  const env = (NODE_ENV: string, KEYS: string): NodeJS.ProcessEnv => ({ NODE_ENV, KEYS });

  it('stops a production service that holds a weak key, naming the setting; development takes it', () => {
    const weak = `k1:${randomBytes(32).toString('base64')},k2:ZGV2LW9ubHktbWFzdGVyLWtleS1ub3QtZm9yLXByb2Q=`;
    expect(() => loadConfig(WithSecret, env('production', weak))).toThrow(ConfigValidationError);
    try {
      loadConfig(WithSecret, env('production', weak));
    } catch (error) {
      expect((error as ConfigValidationError).problems.map((p) => p.variable)).toEqual(['KEYS']);
    }
    expect(loadConfig(WithSecret, env('development', weak)).KEYS).toBe(weak);
    expect(loadConfig(WithSecret, env('production', `k1:${randomBytes(32).toString('base64')}`)).NODE_ENV).toBe('production');
  });
});
