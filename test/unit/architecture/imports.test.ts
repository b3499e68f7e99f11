import { describe, expect, it } from 'vitest'
import { ALLOWED_LAYERS, importCycles, importGraph, layerViolations, readTree, repoRoot } from '../../helpers/importGraph'

const graph = importGraph(readTree(repoRoot, 'src'))

describe('src import rule: shared ← node ← {main, server}', () => {
  it('every top folder of src has a rule', () => {
    const layers = new Set([...graph.keys()].map((f) => f.split('/')[1]))
    expect([...layers].filter((l) => !(l! in ALLOWED_LAYERS))).toEqual([])
  })

  it('no import crosses the layer rule (nothing in server imports main or back; node imports no app code)', () => {
    expect(layerViolations(graph)).toEqual([])
  })

  it('no import circles anywhere in src', () => {
    expect(importCycles(graph)).toEqual([])
  })
})

describe('the checks themselves catch what they are for', () => {
  const fixture = new Map([
    ['src/shared/a.ts', "import { b } from '../node/b'"],
    ['src/node/b.ts', "export const b = 1"],
    ['src/server/c.ts', "import type { D } from '../main/d'\nexport const c = await import('./e')"],
    ['src/main/d.ts', "export * from './f'"],
    ['src/main/f.ts', "import { d } from './d'"],
    ['src/server/e.ts', "import { c } from './c'"]
  ])
  const g = importGraph(fixture)

  it('reports each edge that breaks the layer rule, type-only imports included', () => {
    expect(layerViolations(g).sort()).toEqual(['src/server/c.ts → src/main/d.ts', 'src/shared/a.ts → src/node/b.ts'])
  })

  it('reports circles through re-exports and dynamic imports', () => {
    expect(importCycles(g).sort()).toEqual([
      ['src/main/d.ts', 'src/main/f.ts'],
      ['src/server/c.ts', 'src/server/e.ts']
    ])
  })
})
