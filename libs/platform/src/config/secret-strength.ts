import { RefusedInProduction } from './production-guards';

/**
 * Values that were once published with Kami (docker-compose.yml's old defaults, the README's
 * examples): anyone can read them, so no production service may run with one.
 */
const PUBLISHED_VALUES = new Set([
  'dev-only-internal-identity-secret-not-for-production',
  'dev-only-jwt-signing-secret-not-for-production',
  'ZGV2LW9ubHktbWFzdGVyLWtleS1ub3QtZm9yLXByb2Q=',
  'ZGV2LW9ubHktZmluZ2VycHJpbnQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg==',
  // The key pairs docker-compose.yml once carried as defaults (gateway identity, delivery signing).
  'MC4CAQAwBQYDK2VwBCIEINQHc0SvhyV_Ei80ROBAMNlurxCRvS9oNmmm9XsznoWE',
  'MCowBQYDK2VwAyEAlEfAjgB2W8m61M0WEFoFZ4ZGb-eUtxkV48n8AtUtEGE',
  'MC4CAQAwBQYDK2VwBCIEIMO8CwT9MPtdkgOlvGGam15o7BD05elKAG1Vw9NwBKt3',
  'MCowBQYDK2VwAyEAs_CfgyhlWywXNSZybvykox6rvATocoT5XzaEbMFWp3c',
]);

/** Words people put in placeholder secrets, looked for in the value and in its base64 decoding. */
const PLACEHOLDER_WORDS = /not-?for-?prod|dev-?only|change-?me|example|password|insecure|do-?not-?use|placeholder/i;

const MIN_LENGTH = 32;
const MIN_DISTINCT_CHARACTERS = 10;

function decodedBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(text)) return undefined;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
}

/**
 * Why a secret must not guard production, or undefined when it may: a published development value,
 * a placeholder (in clear or base64), shorter than 32 characters, or too few distinct characters to
 * be random (`kkkk…`, `abab…`). Keys made by `openssl rand -base64 32` always pass.
 */
export function weakSecretReason(value: string): string | undefined {
  if (PUBLISHED_VALUES.has(value)) return 'is a published development value';
  if (PLACEHOLDER_WORDS.test(value) || PLACEHOLDER_WORDS.test(decodedBase64(value) ?? '')) return 'looks like a placeholder, not a generated key';
  if (value.length < MIN_LENGTH) return `is shorter than ${MIN_LENGTH} characters`;
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) return 'has too few distinct characters to be random';
  return undefined;
}

/**
 * A secret setting that production accepts only when strong (see weakSecretReason); `split` picks
 * the key material out of a composite value (`id:key,id:key`). Development and tests take any.
 */
export function StrongSecretInProduction(split: (value: string) => string[] = (value) => [value]): PropertyDecorator {
  return RefusedInProduction(
    (value) => typeof value === 'string' && split(value).some((secret) => weakSecretReason(secret) !== undefined),
    'is a published development value or a weak key, refused in production: generate one (openssl rand -base64 32; npm run compose:env writes a fresh set)',
  );
}
