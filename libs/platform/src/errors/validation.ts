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

/** A lone UTF-16 surrogate (not Unicode text: PostgreSQL's jsonb refuses it) or a NUL character (no text column can hold it). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const NOT_TEXT = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/;

/**
 * The fields of a parsed body, query or path parameter refused before any DTO sees them, in one
 * walk: prototype keys (bodies: class-transformer would assign them to the prototype), and text no
 * database can store, as keys or string values. Field paths as `lines.0.name`; a refused key is not
 * walked into.
 */
export function refusedFields(value: unknown, options: { prototypeKeys: boolean }, prefix = '', found: FieldProblem[] = []): FieldProblem[] {
  const unstorable = (field: string): FieldProblem => ({ field, messages: [`${field} must be Unicode text without NUL characters`] });
  if (typeof value === 'string') {
    if (NOT_TEXT.test(value)) found.push(unstorable(prefix || '(body)'));
    return found;
  }
  if (value === null || typeof value !== 'object') return found;
  for (const key of Object.keys(value)) {
    const field = prefix ? `${prefix}.${key}` : key;
    if (options.prototypeKeys && PROTOTYPE_KEYS.has(key)) found.push({ field, messages: [`property ${key} should not exist`] });
    else if (NOT_TEXT.test(key)) found.push(unstorable(field));
    else refusedFields((value as Record<string, unknown>)[key], options, field, found);
  }
  return found;
}

/**
 * DTO validation for every service: unknown properties are refused, each bad field is listed.
 * Prototype keys are refused first, on every body whatever its declared type (a route that takes
 * a plain record gets the same protection), before class-transformer assigns anything; so is text
 * no database can store (lone surrogates, NUL), in bodies, queries and path parameters.
 */
class KamiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      // Before any handler can store or assign it: PostgreSQL would refuse unstorable text with an
      // error (a 500), or a lone surrogate would be silently replaced in a text column.
      const refused = refusedFields(value, { prototypeKeys: metadata.type === 'body' }, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (refused.length > 0) throw new ValidationFailedError(refused);
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
