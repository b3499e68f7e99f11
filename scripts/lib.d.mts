// Types for the parts of scripts/lib.mjs that TypeScript tests import.
export declare const repoRoot: string
export declare function electronBinary(): string | null
