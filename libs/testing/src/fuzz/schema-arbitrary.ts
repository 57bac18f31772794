import fc from 'fast-check';

/** A JSON Schema as the OpenAPI document carries it (walked as data). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI schema, walked as data
export type Schema = any;

const MAX_DEPTH = 6;

/**
 * Values a schema accepts, as a fast-check arbitrary: what a careful client would send (required
 * fields always, optional ones sometimes, enums, formats, bounds, patterns). Values at the edges of
 * the bounds come often (fast-check biases towards them), which is where handlers tend to break.
 */
export function schemaArbitrary(schema: Schema, components: Record<string, Schema>, depth = 0): fc.Arbitrary<unknown> {
  if (schema?.$ref) return schemaArbitrary(components[String(schema.$ref).split('/').pop()!], components, depth);
  if (!schema || depth > MAX_DEPTH) return fc.constant(null);
  const typed = valueArbitrary(schema, components, depth);
  // The document's example is what a client following the docs sends: it gets past validation
  // (the document does not carry every validator's bounds), so half of the values are it.
  const value = schema.example !== undefined && typeof schema.example !== 'object' ? fc.oneof(fc.constant(schema.example as unknown), typed) : typed;
  return schema.nullable ? fc.option(value, { nil: null, freq: 8 }) : value;
}

function valueArbitrary(schema: Schema, components: Record<string, Schema>, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as unknown[]));
  if (Array.isArray(schema.allOf)) {
    return fc.tuple(...schema.allOf.map((s: Schema) => schemaArbitrary(s, components, depth + 1))).map((parts) => Object.assign({}, ...parts.filter((p) => typeof p === 'object' && p !== null)));
  }
  const choices = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(choices) && choices.length > 0) return fc.oneof(...choices.map((s: Schema) => schemaArbitrary(s, components, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type ?? (schema.properties ? 'object' : undefined)) {
    case 'object':
      return objectArbitrary(schema, components, depth);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? minLength + 3, minLength + 3);
      return fc.array(schemaArbitrary(schema.items, components, depth + 1), { minLength, maxLength });
    }
    case 'integer':
    case 'number': {
      // (A TypeScript number is `number` in the document even where the validator wants an integer.)
      const min = bound(schema.minimum, schema.exclusiveMinimum, 1, -1_000_000);
      const max = bound(schema.maximum, schema.exclusiveMaximum, -1, 1_000_000);
      // Boundary values half of the time: off-by-one handlers break there.
      const edges = [...new Set([min, min + 1, -1, 0, 1, 2, max - 1, max])].filter((n) => n >= min && n <= max);
      const any = type === 'integer' ? fc.integer({ min, max }) : fc.oneof(fc.integer({ min, max }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
      return fc.oneof(fc.constantFrom(...edges), any);
    }
    case 'boolean':
      return fc.boolean();
    case 'string':
      return stringArbitrary(schema);
    default:
      return fc.constant({});
  }
}

function objectArbitrary(schema: Schema, components: Record<string, Schema>, depth: number): fc.Arbitrary<unknown> {
  const properties: Record<string, Schema> = schema.properties ?? {};
  const names = Object.keys(properties);
  if (names.length === 0) return fc.constant({});
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) model[name] = schemaArbitrary(properties[name], components, depth + 1);
  const required = (schema.required ?? []).filter((name: string) => names.includes(name));
  return fc.record(model, { requiredKeys: required });
}

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, minLength + 40));
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress();
    case 'uri':
    case 'url':
      return fc.webUrl();
  }
  if (typeof schema.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= Math.max(maxLength, minLength));
    } catch {
      // A pattern JavaScript cannot compile: any string will do.
    }
  }
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength }) },
  );
}

function bound(inclusive: number | undefined, exclusive: number | boolean | undefined, step: number, fallback: number): number {
  if (typeof exclusive === 'number') return exclusive + step;
  if (inclusive !== undefined) return exclusive === true ? inclusive + step : inclusive;
  return fallback;
}

/**
 * The request the document itself shows: each field its example, else its first enum value, else
 * a plain value of its type (required fields only). It passes validation far more often than a
 * generated value (the document does not carry every validator's bounds).
 */
export function exampleOf(schema: Schema, components: Record<string, Schema>, depth = 0): unknown {
  if (schema?.$ref) return exampleOf(components[String(schema.$ref).split('/').pop()!], components, depth);
  if (!schema || depth > MAX_DEPTH) return null;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s: Schema) => exampleOf(s, components, depth + 1)));
  const choices = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(choices) && choices.length > 0) return exampleOf(choices[0], components, depth + 1);
  switch (schema.type ?? (schema.properties ? 'object' : undefined)) {
    case 'object': {
      const body: Record<string, unknown> = {};
      for (const name of schema.required ?? []) body[name] = exampleOf(schema.properties?.[name], components, depth + 1);
      return body;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => exampleOf(schema.items, components, depth + 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      return schema.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : schema.format === 'date-time' ? '2030-01-01T00:00:00.000Z' : 'example';
    default:
      return {};
  }
}

/** The document's example request with one top-level field drawn from its schema instead. */
export function exampleVariedArbitrary(schema: Schema, components: Record<string, Schema>): fc.Arbitrary<unknown> {
  const resolved = schema?.$ref ? components[String(schema.$ref).split('/').pop()!] : schema;
  const example = exampleOf(resolved, components);
  const names = Object.keys(resolved?.properties ?? {});
  if (names.length === 0 || typeof example !== 'object' || example === null || Array.isArray(example)) return fc.constant(example);
  return fc
    .constantFrom(...names)
    .chain((name) => schemaArbitrary(resolved.properties[name], components).map((value) => ({ ...(example as Record<string, unknown>), [name]: value })));
}
