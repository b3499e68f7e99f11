import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'

/**
 * The import graph of a source tree, read with TypeScript's own pre-processor (static imports, re-exports, dynamic
 * `import()`, type-only imports alike), for the architecture tests: layer rule and no circles.
 */
export type ImportGraph = Map<string, Set<string>>

const EXTENSIONS = ['', '.ts', '.tsx', '/index.ts', '/index.tsx']

export function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (/\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Edges between files given as { path relative to root: source text }; only relative specifiers are followed. */
export function importGraph(files: ReadonlyMap<string, string>): ImportGraph {
  const graph: ImportGraph = new Map()
  for (const [file, text] of files) {
    const targets = new Set<string>()
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      const spec = ref.fileName.replace(/\?.*$/, '')
      if (!spec.startsWith('.')) continue
      const base = join(dirname(file), spec).split(sep).join('/')
      const target = EXTENSIONS.map((e) => base + e).find((c) => files.has(c))
      if (target) targets.add(target)
    }
    graph.set(file, targets)
  }
  return graph
}

export function readTree(root: string, under: string): Map<string, string> {
  const files = new Map<string, string>()
  for (const path of sourceFiles(resolve(root, under))) files.set(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'))
  return files
}

/** Strongly connected components with more than one file (Tarjan), plus files that import themselves. */
export function importCycles(graph: ImportGraph): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || graph.get(v)?.has(v)) cycles.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return cycles
}

/**
 * The layer rule `shared ← node ← {main, server}`: each top folder of src/ may import only the folders listed for it.
 * renderer and preload run in the browser sandbox and see only the contract.
 */
export const ALLOWED_LAYERS: Record<string, readonly string[]> = {
  shared: ['shared'],
  node: ['shared', 'node'],
  main: ['shared', 'node', 'main'],
  server: ['shared', 'node', 'server'],
  renderer: ['shared', 'renderer'],
  preload: ['shared', 'preload']
}

export function layerViolations(graph: ImportGraph, srcPrefix = 'src/'): string[] {
  const layerOf = (file: string): string => file.slice(srcPrefix.length).split('/')[0] ?? ''
  const out: string[] = []
  for (const [from, targets] of graph) {
    const allowed = ALLOWED_LAYERS[layerOf(from)]
    for (const to of targets) {
      if (!allowed || !allowed.includes(layerOf(to))) out.push(`${from} → ${to}`)
    }
  }
  return out
}

export const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '..', '..')
export const repoHas = (path: string): boolean => existsSync(join(repoRoot, path))
