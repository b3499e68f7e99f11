import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/**
 * Start a worker thread from a module path: a built .js file in the app bundle (electron-vite `?modulePath`), or
 * the TypeScript source in tests, benches and tsx runs (loaded through tsx's loader inside the thread, since
 * `--import tsx` in a worker's execArgv does not register the loader on Node 20).
 */
export function startModuleWorker(path: string, workerData: unknown): Worker {
  if (!path.endsWith('.ts')) return new Worker(path, { workerData })
  const source = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(pathToFileURL(path).href)}, ${JSON.stringify(import.meta.url)}))`
  return new Worker(source, { eval: true, workerData })
}
