// Types for suites.mjs (a plain .mjs so scripts/bench.mjs runs it without tsx).
export interface Suite {
  name: string;
  what: string;
  flags: Array<[string, string]>;
}
export const COMMON_FLAGS: Array<[string, string]>;
export const SUITES: Suite[];
export function resultsDir(argv?: readonly string[]): string;
export function helpText(): string;
