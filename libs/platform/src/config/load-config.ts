import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export class ConfigValidationError extends Error {
  constructor(readonly problems: { variable: string; messages: string[] }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.messages.join('; ')}`).join('\n')}`,
    );
    this.name = 'ConfigValidationError';
  }
}

function problemsOf(errors: ValidationError[]): { variable: string; messages: string[] }[] {
  return errors.map((e) => ({
    variable: e.property,
    messages:
      e.value === undefined || e.value === null
        ? ['is required but not set']
        : e.constraints
          ? Object.values(e.constraints)
          : ['is invalid'],
  }));
}

/**
 * Builds a config object from the environment and validates it; throws one error naming
 * every missing or malformed variable. Values are never echoed (they may be secrets).
 */
export function loadConfig<T extends object>(configClass: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const defaults = new configClass();
  const keys = new Set<string>([...Object.keys(defaults), ...Object.keys(env)]);
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    const value = env[key];
    raw[key] = value === undefined || value === '' ? (defaults as Record<string, unknown>)[key] : value;
  }
  const config = plainToInstance(configClass, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigValidationError(problemsOf(errors));
  return config;
}

/** `loadConfig` for a process entry point: prints the problems and exits with status 78 (EX_CONFIG). */
export function loadConfigOrExit<T extends object>(configClass: new () => T, service: string): T {
  try {
    return loadConfig(configClass);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${service}: cannot start. ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
