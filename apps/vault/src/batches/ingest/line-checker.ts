import { compileCodePattern, type CodePattern } from '@kami/code-format';
import type { CodeFormat } from '../../catalog-projection/catalog-projection.service';
import type { Credential } from '../../crypto/vault-crypto';
import type { LineField } from '../batch.dto';

/** One line of a batch as it came (CSV cells or an inline item), before any check. */
export interface RawLine {
  code?: string | null;
  pin?: string | null;
  serial?: string | null;
  redemptionUrl?: string | null;
  expiresAt?: string | null;
}

export type LineVerdict =
  | { ok: true; credential: Credential; expiresAt: Date | null }
  | { ok: false; reason: 'bad_format'; field: LineField }
  | { ok: false; reason: 'expired' };

/** Longest values a line may carry (the code's own length is up to the product's pattern). */
export const FIELD_LIMITS = { code: 256, pin: 64, serial: 128, redemptionUrl: 2048 } as const;

const CONTROL = /\p{Cc}/u;
// A date (valid through that day, UTC), or a date-time with an explicit zone.
const EXPIRES_AT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

const present = (value: string | null | undefined): string | undefined => {
  if (value === undefined || value === null) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
};

/**
 * `2027-12-31` (the end of that day, UTC) or `2027-12-31T18:00:00+08:00` (a zone is required,
 * so a time is never read in the wrong one). Null when it is neither, or not a real date.
 */
export function parseExpiresAt(text: string): Date | null {
  const m = EXPIRES_AT.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  if (h === undefined) return new Date(Date.UTC(year, month - 1, day, 23, 59, 59, 999));
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return null;
  const zone = m[8]!.toUpperCase();
  const normalisedZone = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${m[7] ? m[7].slice(0, 4) : ''}${normalisedZone}`);
  return Number.isNaN(at.getTime()) ? null : at;
}

function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\//i.test(text) || CONTROL.test(text) || /\s/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Checks lines against a product's code format: the code against `codePattern` (whole value, RE2's
 * linear-time engine: a supplier's pattern cannot stall the event loop), the PIN against
 * the PIN policy and `pinPattern`, the serial when required, the redemption URL, the expiry.
 * The first problem found is the line's refusal (one refusal per line). Values are trimmed;
 * the code is kept exactly as written otherwise (the buyer gets what the supplier uploaded).
 */
export class LineChecker {
  private readonly code: CodePattern;
  private readonly pin: CodePattern | null;

  /** Throws CodePatternSyntaxError when a pattern cannot run on the linear-time engine (see CodeFormatUnsupported). */
  constructor(
    private readonly format: CodeFormat,
    private readonly now: Date = new Date(),
  ) {
    this.code = compileCodePattern(format.codePattern);
    this.pin = format.pinPattern ? compileCodePattern(format.pinPattern) : null;
  }

  check(line: RawLine): LineVerdict {
    const code = present(line.code);
    if (code === undefined || code.length > FIELD_LIMITS.code || !this.code.matches(code)) return { ok: false, reason: 'bad_format', field: 'code' };

    const pin = present(line.pin);
    if (this.format.pinPolicy === 'none') {
      if (pin !== undefined) return { ok: false, reason: 'bad_format', field: 'pin' };
    } else if (pin === undefined) {
      if (this.format.pinPolicy === 'required') return { ok: false, reason: 'bad_format', field: 'pin' };
    } else if (pin.length > FIELD_LIMITS.pin || CONTROL.test(pin) || (this.pin !== null && !this.pin.matches(pin))) {
      return { ok: false, reason: 'bad_format', field: 'pin' };
    }

    const serial = present(line.serial);
    if (serial === undefined ? this.format.serialRequired : serial.length > FIELD_LIMITS.serial || CONTROL.test(serial)) {
      return { ok: false, reason: 'bad_format', field: 'serial' };
    }

    const redemptionUrl = present(line.redemptionUrl);
    if (redemptionUrl !== undefined && (redemptionUrl.length > FIELD_LIMITS.redemptionUrl || !isHttpUrl(redemptionUrl))) {
      return { ok: false, reason: 'bad_format', field: 'redemption_url' };
    }

    const expiresText = present(line.expiresAt);
    let expiresAt: Date | null = null;
    if (expiresText !== undefined) {
      expiresAt = parseExpiresAt(expiresText);
      if (expiresAt === null) return { ok: false, reason: 'bad_format', field: 'expires_at' };
      if (expiresAt.getTime() <= this.now.getTime()) return { ok: false, reason: 'expired' };
    }

    const credential: Credential = { code };
    if (pin !== undefined) credential.pin = pin;
    if (serial !== undefined) credential.serial = serial;
    if (redemptionUrl !== undefined) credential.redemptionUrl = redemptionUrl;
    return { ok: true, credential, expiresAt };
  }
}
