// Product code and PIN patterns: supplier input that catalog accepts and vault runs on every
// uploaded line. One compiler for both, on RE2's linear-time engine (re2js, pure JavaScript).
export { CodePatternSyntaxError, codePatternProblem, compileCodePattern, type CodePattern } from './code-pattern';
