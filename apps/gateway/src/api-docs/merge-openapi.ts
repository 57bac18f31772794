import type { OpenAPIObject, OperationObject, PathItemObject, SecurityRequirementObject, TagObject } from '@nestjs/swagger';

/*
 * Merges the services' OpenAPI documents into the gateway's: pure functions, no I/O (the
 * fetching and caching are in ApiDocsService).
 */

/** One service's own document and the public path prefixes the gateway routes to it. */
export interface ServiceDocument {
  service: string;
  prefixes: readonly string[];
  document: OpenAPIObject;
}

export interface MergeOptions {
  /** Services whose document could not be fetched: left out, and named in the merged document. */
  missing: readonly string[];
  /** Set on every operation of a service (the gateway authenticates everything it forwards). */
  security: SecurityRequirementObject[];
}

/** Something the merge had to resolve; the caller logs it. */
export type MergeConflict =
  | { kind: 'component_renamed'; service: string; componentType: string; name: string; renamedTo: string }
  | { kind: 'path_ignored'; service: string; path: string };

export interface MergeResult {
  document: OpenAPIObject;
  conflicts: MergeConflict[];
}

/** The extension listing the services left out of the document. */
export const MISSING_SERVICES_EXTENSION = 'x-kami-missing-services';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'query'] as const;

/** Component types a service's paths may refer to (its own securitySchemes mean nothing publicly). */
const COMPONENT_TYPES = ['schemas', 'responses', 'parameters', 'examples', 'requestBodies', 'headers', 'links', 'callbacks', 'pathItems'] as const;
type ComponentType = (typeof COMPONENT_TYPES)[number];

const LOCAL_REF = /^#\/components\/([^/]+)\/([^/]+)$/;

type Json = unknown;
type ComponentMap = Record<string, Json>;
type Components = Partial<Record<ComponentType, ComponentMap>>;
/** `type/name` → the name it takes in the merged document. */
type Renames = Map<string, string>;

const key = (type: string, name: string): string => `${type}/${name}`;
const decodePointer = (segment: string): string => segment.replace(/~1/g, '/').replace(/~0/g, '~');
const encodePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Whether a path is one of these prefixes or below one (`/api/v1/catalog` keeps `/api/v1/catalog/...`, not `/api/v1/catalogue`). */
export function isUnderPrefix(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** A plausible OpenAPI 3 document (what a service answers is checked before it is merged). */
export function isOpenApiDocument(value: unknown): value is OpenAPIObject {
  if (!isObject(value)) return false;
  return typeof value.openapi === 'string' && isObject(value.paths) && (value.components === undefined || isObject(value.components));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every local component reference in a value: `$ref`s and discriminator mappings. */
function collectRefs(value: Json, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, into);
    return;
  }
  if (!isObject(value)) return;
  for (const [name, child] of Object.entries(value)) {
    if (name === '$ref' && typeof child === 'string') addRef(child, into);
    else if (name === 'mapping' && isObject(child) && Object.values(child).every((v) => typeof v === 'string')) {
      for (const ref of Object.values(child) as string[]) addRef(ref, into);
    } else collectRefs(child, into);
  }
}

function addRef(ref: string, into: Set<string>): void {
  const match = LOCAL_REF.exec(ref);
  if (match) into.add(key(match[1]!, decodePointer(match[2]!)));
}

/** A deep copy with local references renamed. */
function rewriteRefs<T>(value: T, renames: Renames): T {
  const rewrite = (ref: string): string => {
    const match = LOCAL_REF.exec(ref);
    if (!match) return ref;
    const renamed = renames.get(key(match[1]!, decodePointer(match[2]!)));
    return renamed === undefined ? ref : `#/components/${match[1]}/${encodePointer(renamed)}`;
  };
  const walk = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    const out: Record<string, Json> = {};
    for (const [name, child] of Object.entries(node)) {
      if (name === '$ref' && typeof child === 'string') out[name] = rewrite(child);
      else if (name === 'mapping' && isObject(child) && Object.values(child).every((v) => typeof v === 'string')) {
        out[name] = Object.fromEntries(Object.entries(child).map(([k, ref]) => [k, rewrite(ref as string)]));
      } else out[name] = walk(child);
    }
    return out;
  };
  return walk(value) as T;
}

/** Deep equality of JSON values (documents come from JSON; key order does not matter). */
function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  const otherKeys = Object.keys(b).filter((k) => b[k] !== undefined);
  return keys.length === otherKeys.length && keys.every((k) => jsonEqual(a[k], b[k]));
}

/** The components the kept paths use, directly or through other components. */
function reachableComponents(paths: Record<string, PathItemObject>, components: Components): Set<string> {
  const reached = new Set<string>();
  const queue = new Set<string>();
  collectRefs(paths, queue);
  while (queue.size > 0) {
    const [next] = queue;
    queue.delete(next!);
    if (reached.has(next!)) continue;
    reached.add(next!);
    const [type, name] = splitKey(next!);
    const component = (components as Record<string, ComponentMap | undefined>)[type]?.[name];
    if (component === undefined) continue;
    const refs = new Set<string>();
    collectRefs(component, refs);
    for (const ref of refs) if (!reached.has(ref)) queue.add(ref);
  }
  return reached;
}

function splitKey(typeAndName: string): [string, string] {
  const slash = typeAndName.indexOf('/');
  return [typeAndName.slice(0, slash), typeAndName.slice(slash + 1)];
}

const pascal = (service: string): string => service.replace(/(^|[^A-Za-z0-9])([a-z])/g, (_, __, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');

/**
 * Which of a service's components must take another name because the merged document already
 * has a different component of that name (`ProblemDto` → `Catalog_ProblemDto`). A component equal
 * to the one already there is shared. Repeated until stable: a component that refers to a renamed
 * one differs from its namesake once its reference is rewritten.
 */
function planRenames(service: string, used: Set<string>, components: Components, target: Components): Renames {
  const renames: Renames = new Map();
  const taken = (type: string, name: string): boolean => (target as Record<string, ComponentMap | undefined>)[type]?.[name] !== undefined;
  for (let changed = true; changed; ) {
    changed = false;
    for (const typeAndName of used) {
      if (renames.has(typeAndName)) continue;
      const [type, name] = splitKey(typeAndName);
      const mine = (components as Record<string, ComponentMap | undefined>)[type]?.[name];
      if (mine === undefined || !taken(type, name)) continue;
      const theirs = (target as Record<string, ComponentMap>)[type]![name];
      if (jsonEqual(rewriteRefs(mine, renames), theirs)) continue;
      let renamed = `${pascal(service)}_${name}`;
      for (let n = 2; taken(type, renamed) || [...renames.values()].includes(renamed) || (components as Record<string, ComponentMap | undefined>)[type]?.[renamed] !== undefined; n++) {
        renamed = `${pascal(service)}_${name}_${n}`;
      }
      renames.set(typeAndName, renamed);
      changed = true;
    }
  }
  return renames;
}

function mergeTags(into: TagObject[], more: TagObject[] | undefined): void {
  for (const tag of more ?? []) if (!into.some((t) => t.name === tag.name)) into.push(tag);
}

/**
 * The gateway's document with each service's public paths (those under its route prefixes) and
 * the components they use. The gateway's own paths and components come first and are never
 * overwritten: a service's component of a taken name with other content is renamed (reported in
 * `conflicts`), and a service path the document already has is ignored. Every operation of a
 * service gets the gateway's security requirements and an operationId prefixed with the service.
 */
export function mergeOpenApiDocuments(own: OpenAPIObject, services: readonly ServiceDocument[], options: MergeOptions): MergeResult {
  const document = rewriteRefs(own, new Map()); // a deep copy: the caller's document stays as it is
  document.paths ??= {};
  const components = (document.components ??= {}) as Components;
  const tags: TagObject[] = [...(document.tags ?? [])];
  const conflicts: MergeConflict[] = [];

  for (const { service, prefixes, document: theirs } of services) {
    const kept: Record<string, PathItemObject> = {};
    for (const [path, item] of Object.entries(theirs.paths ?? {})) {
      if (!isUnderPrefix(path, prefixes)) continue;
      if (document.paths[path] !== undefined) conflicts.push({ kind: 'path_ignored', service, path });
      else kept[path] = item;
    }
    const theirComponents = (theirs.components ?? {}) as Components;
    const used = reachableComponents(kept, theirComponents);
    const renames = planRenames(service, used, theirComponents, components);

    for (const typeAndName of used) {
      const [type, name] = splitKey(typeAndName);
      if (!(COMPONENT_TYPES as readonly string[]).includes(type)) continue;
      const component = (theirComponents as Record<string, ComponentMap | undefined>)[type]?.[name];
      if (component === undefined) continue;
      const renamed = renames.get(typeAndName);
      if (renamed !== undefined) conflicts.push({ kind: 'component_renamed', service, componentType: type, name, renamedTo: renamed });
      const finalName = renamed ?? name;
      const map = ((components as Record<string, ComponentMap>)[type] ??= {});
      if (map[finalName] === undefined) map[finalName] = rewriteRefs(component, renames);
    }

    for (const [path, item] of Object.entries(rewriteRefs(kept, renames))) {
      for (const method of HTTP_METHODS) {
        const operation = (item as Record<string, OperationObject | undefined>)[method];
        if (!operation) continue;
        operation.security = options.security.map((requirement) => ({ ...requirement }));
        if (operation.operationId && !operation.operationId.startsWith(`${service}_`)) operation.operationId = `${service}_${operation.operationId}`;
      }
      document.paths[path] = item;
    }
    mergeTags(tags, theirs.tags);
  }

  if (tags.length > 0) document.tags = tags;
  const missing = [...options.missing];
  (document as unknown as Record<string, unknown>)[MISSING_SERVICES_EXTENSION] = missing;
  if (missing.length > 0) {
    const names = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
    const one = missing.length === 1;
    const note = `**Incomplete right now:** the ${names} ${one ? 'service is' : 'services are'} not answering, so ${one ? 'its' : 'their'} routes are missing from this document (listed in \`${MISSING_SERVICES_EXTENSION}\`).`;
    document.info = { ...document.info, description: document.info?.description ? `${document.info.description}\n\n${note}` : note };
  }
  return { document, conflicts };
}
