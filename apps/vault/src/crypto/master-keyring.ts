/** A problem with the master keys in the environment; the message names ids and positions, never key material. */
export class MasterKeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyringError';
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
// Standard (+/) or URL-safe (-_) alphabet, padding optional.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
export const MASTER_KEY_BYTES = 32;

/** Decodes base64 or base64url strictly (Node's decoder silently skips junk, so the alphabet is checked first). */
export function decodeBase64Key(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * The master keys that wrap the batches' data keys, from `VAULT_MASTER_KEYS` (`id:base64key`
 * pairs, comma separated, 32-byte keys in base64 or base64url) and `VAULT_MASTER_KEY_ID` (the
 * one new data keys are wrapped with). Older keys stay listed until `vault:rotate-keys` has
 * re-wrapped every batch key made under them.
 */
export class MasterKeyring {
  private constructor(
    readonly activeId: string,
    private readonly keys: ReadonlyMap<string, Buffer>,
  ) {}

  /** Throws MasterKeyringError naming what is wrong (a key's id or position, never its value). */
  static parse(masterKeys: string | undefined, activeId: string | undefined): MasterKeyring {
    if (!masterKeys || masterKeys.trim() === '') throw new MasterKeyringError('VAULT_MASTER_KEYS is empty: list at least one id:base64key pair');
    const keys = new Map<string, Buffer>();
    masterKeys.split(',').forEach((entry, index) => {
      const separator = entry.indexOf(':');
      const id = separator < 0 ? '' : entry.slice(0, separator).trim();
      const material = separator < 0 ? '' : entry.slice(separator + 1).trim();
      const where = `VAULT_MASTER_KEYS entry ${index + 1}`;
      if (!KEY_ID.test(id)) throw new MasterKeyringError(`${where}: expected id:base64key with an id of 1-32 letters, digits, dashes or underscores`);
      if (keys.has(id)) throw new MasterKeyringError(`${where}: the key id ${id} is listed twice`);
      const key = decodeBase64Key(material);
      if (!key || key.length !== MASTER_KEY_BYTES) throw new MasterKeyringError(`${where} (${id}): the key must be ${MASTER_KEY_BYTES} bytes in base64 or base64url`);
      keys.set(id, key);
    });
    if (!activeId || !KEY_ID.test(activeId)) throw new MasterKeyringError('VAULT_MASTER_KEY_ID must name one of the keys of VAULT_MASTER_KEYS');
    if (!keys.has(activeId)) throw new MasterKeyringError(`VAULT_MASTER_KEY_ID is ${activeId}, which is not listed in VAULT_MASTER_KEYS (listed: ${[...keys.keys()].join(', ')})`);
    return new MasterKeyring(activeId, keys);
  }

  get active(): Buffer {
    return this.keys.get(this.activeId)!;
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** The key with this id; throws when it is no longer listed. */
  key(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new MasterKeyringError(`the master key ${id} is not listed in VAULT_MASTER_KEYS`);
    return key;
  }

  ids(): string[] {
    return [...this.keys.keys()];
  }
}
