import type { FieldProblem } from '@kami/platform';

export interface CodeFormatInput {
  codePattern: string;
  pin: 'none' | 'optional' | 'required';
  pinPattern?: string | null;
  serialRequired?: boolean;
}

/**
 * Vault checks every uploaded line against these patterns with JavaScript's RegExp (unicode
 * mode, whole-value match), so a pattern must compile exactly that way before it is stored.
 */
export function codeFormatProblems(format: CodeFormatInput, prefix = 'codeFormat'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const compileProblem = (field: string, pattern: string): void => {
    try {
      new RegExp(`^(?:${pattern})$`, 'u');
    } catch (error) {
      problems.push({ field: `${prefix}.${field}`, messages: [`is not a valid regular expression: ${(error as Error).message}`] });
    }
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
  return new RegExp(`^(?:${pattern})$`, 'u').test(value);
}
