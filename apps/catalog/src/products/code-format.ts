import { codePatternProblem, compileCodePattern } from '@kami/code-format';
import type { FieldProblem } from '@kami/platform';

export interface CodeFormatInput {
  codePattern: string;
  pin: 'none' | 'optional' | 'required';
  pinPattern?: string | null;
  serialRequired?: boolean;
}

/**
 * Vault checks every uploaded line against these patterns on RE2's linear-time engine (whole-value
 * match, @kami/code-format), so a pattern must compile exactly that way before it is stored:
 * back-references, look-around and anything that does not parse on its own (such as `x)|(?:`) are refused.
 */
export function codeFormatProblems(format: CodeFormatInput, prefix = 'codeFormat'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const compileProblem = (field: string, pattern: string): void => {
    const problem = codePatternProblem(pattern);
    if (problem !== null) problems.push({ field: `${prefix}.${field}`, messages: [`is not a valid regular expression (RE2 syntax, no back-references or look-around): ${problem}`] });
  };
  compileProblem('codePattern', format.codePattern);
  if (format.pinPattern !== undefined && format.pinPattern !== null) {
    if (format.pin === 'none') problems.push({ field: `${prefix}.pinPattern`, messages: ['must be empty when pin is none'] });
    else compileProblem('pinPattern', format.pinPattern);
  }
  return problems;
}

/** Whole-value match, as vault applies it. */
export function matchesPattern(pattern: string, value: string): boolean {
  return compileCodePattern(pattern).matches(value);
}
