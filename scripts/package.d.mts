// Types for scripts/package.mjs (imported by test/unit/packaging).
export declare const STAGED_WORKER_DIR: string
export declare function stageMediasoupWorker(workerPath: string, platform?: NodeJS.Platform): string
export declare function placeholderElectronDist(platform?: NodeJS.Platform): string
export declare function packageApp(opts?: { dir?: boolean; layoutOnly?: boolean; outputDir?: string }): Promise<{ outputDir: string; artifacts: string[] }>
