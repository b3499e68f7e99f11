// Types for the parts of scripts/lib.mjs that TypeScript tests import.
export declare const repoRoot: string
export declare function electronBinary(): string | null
export declare class UsageError extends Error {}
export declare function knownOptions(options: NonNullable<import('node:util').ParseArgsConfig['options']>): string
export declare function parseCli(
  argv: readonly string[],
  spec: { options: NonNullable<import('node:util').ParseArgsConfig['options']>; positionals?: readonly string[] }
): { values: Record<string, string | boolean | Array<string | boolean> | undefined>; positionals: string[] }
export declare function parseOrExit<T>(program: string, parse: () => T, usage?: string): T
export declare function chooseAppMode(opts: { args: readonly string[]; env: Record<string, string | undefined>; platform: string; electron: string | null }): { mode: 'electron'; reason: null } | { mode: 'browser'; reason: string }
