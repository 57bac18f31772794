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
  const value = valueArbitrary(schema, components, depth);
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
      return fc.integer({ min: bound(schema.minimum, schema.exclusiveMinimum, 1, -1_000_000), max: bound(schema.maximum, schema.exclusiveMaximum, -1, 1_000_000) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000, noNaN: true, noDefaultInfinity: true });
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
    ...(schema.example !== undefined ? [{ weight: 2, arbitrary: fc.constant(String(schema.example)) }] : []),
  );
}

function bound(inclusive: number | undefined, exclusive: number | boolean | undefined, step: number, fallback: number): number {
  if (typeof exclusive === 'number') return exclusive + step;
  if (inclusive !== undefined) return exclusive === true ? inclusive + step : inclusive;
  return fallback;
}
