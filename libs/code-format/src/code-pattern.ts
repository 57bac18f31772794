import { RE2JS } from 're2js';

/**
 * A compiled product code or PIN pattern. `matches` is a whole-value match on RE2's engine: time
 * linear in the value whatever the pattern, and no anchors of ours for the pattern to escape (the
 * pattern is compiled on its own, so `x)|(?:` is a syntax error, not "anything at all").
 */
export interface CodePattern {
  /** The pattern as the supplier or operator wrote it. */
  readonly source: string;
  matches(value: string): boolean;
}

/** The pattern does not parse, or uses what a linear-time engine cannot run (back-references, look-around). */
export class CodePatternSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodePatternSyntaxError';
  }
}

// General categories by their long names (JavaScript accepts both; RE2 only the short ones).
const GENERAL_CATEGORIES: Readonly<Record<string, string>> = {
  Other: 'C', Control: 'Cc', Format: 'Cf', Private_Use: 'Co', Surrogate: 'Cs',
  Letter: 'L', Lowercase_Letter: 'Ll', Modifier_Letter: 'Lm', Other_Letter: 'Lo', Titlecase_Letter: 'Lt', Uppercase_Letter: 'Lu',
  Mark: 'M', Combining_Mark: 'M', Spacing_Mark: 'Mc', Enclosing_Mark: 'Me', Nonspacing_Mark: 'Mn',
  Number: 'N', Decimal_Number: 'Nd', digit: 'Nd', Letter_Number: 'Nl', Other_Number: 'No',
  Punctuation: 'P', punct: 'P', Connector_Punctuation: 'Pc', Dash_Punctuation: 'Pd', Close_Punctuation: 'Pe',
  Final_Punctuation: 'Pf', Initial_Punctuation: 'Pi', Other_Punctuation: 'Po', Open_Punctuation: 'Ps',
  Symbol: 'S', Currency_Symbol: 'Sc', Modifier_Symbol: 'Sk', Math_Symbol: 'Sm', Other_Symbol: 'So',
  Separator: 'Z', Line_Separator: 'Zl', Paragraph_Separator: 'Zp', Space_Separator: 'Zs',
};

const HEX4 = /^[0-9A-Fa-f]{4}$/;

/** `\p{…}`'s name in RE2's spelling, or the body unchanged when it names nothing we translate (RE2 then refuses it). */
function propertyName(body: string): string {
  const eq = body.indexOf('=');
  if (eq < 0) return GENERAL_CATEGORIES[body] ?? body;
  const key = body.slice(0, eq);
  const value = body.slice(eq + 1);
  if (key === 'General_Category' || key === 'gc') return GENERAL_CATEGORIES[value] ?? value;
  if (key === 'Script' || key === 'sc') return value;
  return body;
}

/**
 * Rewrites the escapes a JavaScript unicode-mode pattern writes differently from RE2 (`\uXXXX`,
 * `\u{X}`, a surrogate pair as two `\u` escapes, `\p{Script=Han}`, `\p{Letter}`), leaving all else
 * to RE2's parser. Escapes become escapes: nothing here can add a group, an alternation or an anchor.
 */
function toRe2Syntax(pattern: string): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch !== '\\' || i + 1 >= pattern.length) {
      out += ch;
      i += 1;
      continue;
    }
    const next = pattern[i + 1]!;
    if (next === 'u') {
      const braced = /^\{([0-9A-Fa-f]{1,6})\}/.exec(pattern.slice(i + 2));
      if (braced) {
        out += `\\x{${braced[1]}}`;
        i += 2 + braced[0].length;
        continue;
      }
      const unit = pattern.slice(i + 2, i + 6);
      if (HEX4.test(unit)) {
        const code = parseInt(unit, 16);
        const low = pattern.slice(i + 6, i + 8) === '\\u' ? pattern.slice(i + 8, i + 12) : '';
        if (code >= 0xd800 && code <= 0xdbff && HEX4.test(low) && parseInt(low, 16) >= 0xdc00 && parseInt(low, 16) <= 0xdfff) {
          out += `\\x{${(((code - 0xd800) << 10) + (parseInt(low, 16) - 0xdc00) + 0x10000).toString(16)}}`;
          i += 12;
        } else {
          out += `\\x{${unit}}`;
          i += 6;
        }
        continue;
      }
    } else if ((next === 'p' || next === 'P') && pattern[i + 2] === '{') {
      const close = pattern.indexOf('}', i + 3);
      if (close > 0) {
        out += `\\${next}{${propertyName(pattern.slice(i + 3, close))}}`;
        i = close + 1;
        continue;
      }
    }
    out += ch + next;
    i += 2;
  }
  return out;
}

/** Compiles a pattern for whole-value matching; throws CodePatternSyntaxError when RE2 cannot run it. */
export function compileCodePattern(pattern: string): CodePattern {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(toRe2Syntax(pattern));
  } catch (error) {
    throw new CodePatternSyntaxError((error as Error).message);
  }
  return { source: pattern, matches: (value) => compiled.testExact(value) };
}

/** Why a pattern cannot be used (in words, for a 400), or null when it can. */
export function codePatternProblem(pattern: string): string | null {
  try {
    compileCodePattern(pattern);
    return null;
  } catch (error) {
    if (error instanceof CodePatternSyntaxError) return error.message;
    throw error;
  }
}
