import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ValidationFailedError, type FieldProblem } from './domain-error';

/** Flattens nested class-validator errors to one entry per field path (`tiers.0.price`). */
export function toFieldProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own: FieldProblem[] = error.constraints
      ? [{ field, messages: Object.values(error.constraints) }]
      : [];
    return [...own, ...toFieldProblems(error.children ?? [], field)];
  });
}

/**
 * Keys that JSON.parse keeps as own properties but that assignment turns into prototype changes:
 * class-transformer would set the instance's prototype (or shadow its constructor) instead of
 * copying a field, so the whitelist never sees them as unknown.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Every own `__proto__`/`constructor`/`prototype` key in a parsed body, as field paths (`lines.0.__proto__`). */
export function prototypeKeyPaths(value: unknown, prefix = '', found: string[] = []): string[] {
  if (value === null || typeof value !== 'object') return found;
  for (const key of Object.keys(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) found.push(path);
    else prototypeKeyPaths((value as Record<string, unknown>)[key], path, found);
  }
  return found;
}

/**
 * DTO validation for every service: unknown properties are refused, each bad field is listed.
 * Prototype keys are refused first, on every body whatever its declared type (a route that takes
 * a plain record gets the same protection), before class-transformer assigns anything.
 */
class KamiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const paths = prototypeKeyPaths(value);
      if (paths.length > 0) throw new ValidationFailedError(paths.map((field) => ({ field, messages: [`property ${field.split('.').pop()} should not exist`] })));
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new KamiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(toFieldProblems(errors)),
  });
}
