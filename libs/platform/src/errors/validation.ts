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

/**
 * Field paths (`lines.0.name`) of a parsed request value where a key, or a string value, is one
 * the checks below refuse; a refused key is not walked into.
 */
function refusedPaths(value: unknown, refuse: { key(key: string): boolean; text?(text: string): boolean }, prefix = '', found: string[] = []): string[] {
  if (typeof value === 'string') {
    if (refuse.text?.(value)) found.push(prefix || '(body)');
    return found;
  }
  if (value === null || typeof value !== 'object') return found;
  for (const key of Object.keys(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (refuse.key(key)) found.push(path);
    else refusedPaths((value as Record<string, unknown>)[key], refuse, path, found);
  }
  return found;
}

/** Every own `__proto__`/`constructor`/`prototype` key in a parsed body, as field paths (`lines.0.__proto__`). */
export function prototypeKeyPaths(value: unknown): string[] {
  return refusedPaths(value, { key: (key) => PROTOTYPE_KEYS.has(key) });
}

/** A lone UTF-16 surrogate (not Unicode text: PostgreSQL's jsonb refuses it) or a NUL character (no text column can hold it). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const NOT_TEXT = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/;
const notText = (text: string): boolean => NOT_TEXT.test(text);

/** Every string (key or value) in a parsed body, query or path that is not storable text, as field paths (`lines.0.name`). */
export function unstorableTextPaths(value: unknown, prefix = ''): string[] {
  return refusedPaths(value, { key: notText, text: notText }, prefix);
}

/**
 * DTO validation for every service: unknown properties are refused, each bad field is listed.
 * Prototype keys are refused first, on every body whatever its declared type (a route that takes
 * a plain record gets the same protection), before class-transformer assigns anything; so is text
 * no database can store (lone surrogates, NUL), in bodies, queries and path parameters.
 */
class KamiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const paths = prototypeKeyPaths(value);
      if (paths.length > 0) throw new ValidationFailedError(paths.map((field) => ({ field, messages: [`property ${field.split('.').pop()} should not exist`] })));
    }
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      // Before any handler can store it: PostgreSQL would refuse it with an error (a 500), or a
      // lone surrogate would be silently replaced in a text column.
      const paths = unstorableTextPaths(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (paths.length > 0) throw new ValidationFailedError(paths.map((field) => ({ field, messages: [`${field} must be Unicode text without NUL characters`] })));
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
