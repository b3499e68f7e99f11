import { readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readTree, repoRoot, sourceFiles } from '../../helpers/importGraph'
import { hasLogic, mirrorReport } from '../../helpers/testMirror'

/** The one allow-list: src modules with logic whose test is not at the mirrored path, each with the reason. */
const ALLOW_LIST = 'test/unit/architecture/untested-modules.json'

describe('tests mirror src', () => {
  const src = readTree(repoRoot, 'src')
  const tests = sourceFiles(join(repoRoot, 'test/unit')).map((p) => relative(repoRoot, p).split(sep).join('/'))
  const allow = JSON.parse(readFileSync(join(repoRoot, ALLOW_LIST), 'utf8')) as Record<string, string>
  const report = mirrorReport(src, tests, allow)

  it(`every src module with logic has a test at its mirrored path or a reason in ${ALLOW_LIST}`, () => {
    expect(report.untested).toEqual([])
  })
  it('the allow-list names only modules that exist and still have no mirrored test, each with a reason', () => {
    expect(report.stale).toEqual([])
    expect(report.unexplained).toEqual([])
  })
  it('every unit test file mirrors a src module (or is cross-cutting: security, architecture)', () => {
    expect(report.orphanTests).toEqual([])
  })
})

describe('the mirror check itself', () => {
  const src = new Map([
    ['src/shared/a.ts', 'export function a() { return 1 }'],
    ['src/shared/types.ts', 'export interface T { x: number }\nexport type U = T[]\nexport const LIMIT = 5'],
    ['src/server/b.ts', 'export class B {}'],
    ['src/server/c.tsx', 'export const C = () => null']
  ])
  it('tells modules with logic from type and data modules', () => {
    expect(hasLogic('src/shared/types.ts', src.get('src/shared/types.ts')!)).toBe(false)
    expect(hasLogic('src/shared/a.ts', src.get('src/shared/a.ts')!)).toBe(true)
    expect(hasLogic('x.ts', 'process.on("exit", () => {})')).toBe(true)
  })
  it('finds untested modules, aspect tests count, stale and unexplained entries and orphan tests are reported', () => {
    const report = mirrorReport(
      src,
      ['test/unit/shared/a.errors.test.ts', 'test/unit/server/old.test.ts', 'test/unit/security/x.test.ts'],
      { 'src/server/c.tsx': 'a view; covered by test/e2e/c.test.ts', 'src/server/gone.ts': 'moved', 'src/shared/a.ts': 'has a test now' }
    )
    expect(report.untested).toEqual(['src/server/b.ts'])
    expect(report.stale).toEqual(['src/server/gone.ts', 'src/shared/a.ts'])
    expect(report.unexplained).toEqual(['src/server/gone.ts'])
    expect(report.orphanTests).toEqual(['test/unit/server/old.test.ts'])
  })
})
