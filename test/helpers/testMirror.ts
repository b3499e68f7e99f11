import ts from 'typescript'

/**
 * Tests mirror src: the test of `src/a/b/c.ts` is `test/unit/a/b/c.test.ts`, or one or more aspects of it,
 * `test/unit/a/b/c.<aspect>.test.ts`. A module with no logic (only types, interfaces and constant data) needs no test.
 */
export function mirroredTestPrefix(srcPath: string): string {
  return 'test/unit/' + srcPath.replace(/^src\//, '').replace(/\.tsx?$/, '')
}

export function hasMirroredTest(srcPath: string, testFiles: readonly string[]): boolean {
  const prefix = mirroredTestPrefix(srcPath)
  return testFiles.some((t) => t === `${prefix}.test.ts` || t === `${prefix}.test.tsx` || (t.startsWith(`${prefix}.`) && /\.test\.tsx?$/.test(t)))
}

/** True when the module has code that runs: a function, method, class, or a statement other than declarations of data. */
export function hasLogic(fileName: string, text: string): boolean {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
  let found = false
  const visit = (node: ts.Node): void => {
    if (found) return
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isClassExpression(node) ||
      ts.isGetAccessor(node) ||
      ts.isSetAccessor(node)
    ) {
      found = true
      return
    }
    // Statements that run at load (a call, a loop, an if) are logic; type-only and data declarations are not.
    if (node.parent === source && (ts.isExpressionStatement(node) || ts.isIfStatement(node) || ts.isForStatement(node) || ts.isForOfStatement(node))) {
      found = true
      return
    }
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

export interface MirrorReport {
  /** Modules with logic, no mirrored test and no allow-list entry. */
  untested: string[]
  /** Allow-list entries for modules that no longer exist or now have a mirrored test. */
  stale: string[]
  /** Allow-list entries without a reason. */
  unexplained: string[]
  /** test/unit files that mirror no src module (outside the cross-cutting folders). */
  orphanTests: string[]
}

export const CROSS_CUTTING_TEST_FOLDERS = ['test/unit/security/', 'test/unit/architecture/']

export function mirrorReport(src: ReadonlyMap<string, string>, testFiles: readonly string[], allow: Readonly<Record<string, string>>): MirrorReport {
  const untested: string[] = []
  for (const [path, text] of src) {
    if (!hasLogic(path, text) || hasMirroredTest(path, testFiles) || path in allow) continue
    untested.push(path)
  }
  const stale = Object.keys(allow).filter((p) => !src.has(p) || hasMirroredTest(p, testFiles))
  const unexplained = Object.entries(allow).filter(([, why]) => why.trim().length < 10).map(([p]) => p)
  const prefixes = [...src.keys()].map(mirroredTestPrefix)
  const orphanTests = testFiles.filter(
    (t) => t.startsWith('test/unit/') && /\.test\.tsx?$/.test(t) && !CROSS_CUTTING_TEST_FOLDERS.some((f) => t.startsWith(f)) && !prefixes.some((p) => t === `${p}.test.ts` || t === `${p}.test.tsx` || t.startsWith(`${p}.`))
  )
  return { untested: untested.sort(), stale: stale.sort(), unexplained, orphanTests: orphanTests.sort() }
}
