import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { readTree, repoRoot } from '../../helpers/importGraph'

/**
 * Shared per-process pieces are passed in, never kept in module-level mutable state: a module `let`, a module-level
 * or static Map/Set/WeakMap/array made with `new`, unless its declared type is read-only (ReadonlyMap, ReadonlySet,
 * readonly T[]). Checked for the folders listed here.
 */
const NO_MODULE_STATE = ['src/server/voice']

const MUTABLE_CONSTRUCTORS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array'])

function moduleState(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const at = (node: ts.Node): string => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`
  const mutableInit = (init: ts.Expression | undefined, type: ts.TypeNode | undefined): boolean => {
    if (!init) return false
    const made = ts.isNewExpression(init) && ts.isIdentifier(init.expression) && MUTABLE_CONSTRUCTORS.has(init.expression.text)
    const literal = ts.isArrayLiteralExpression(init)
    if (!made && !literal) return false
    const declared = type?.getText(source) ?? ''
    return !/^(Readonly(Map|Set|Array)<|readonly )/.test(declared)
  }
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0
      for (const d of statement.declarationList.declarations) {
        if (!isConst) found.push(`${at(d)} module-level let/var ${d.name.getText(source)}`)
        else if (mutableInit(d.initializer, d.type)) found.push(`${at(d)} module-level mutable ${d.name.getText(source)}`)
      }
    }
    if (ts.isClassDeclaration(statement)) {
      for (const member of statement.members) {
        if (!ts.isPropertyDeclaration(member)) continue
        const isStatic = ts.getModifiers(member)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)
        if (isStatic && mutableInit(member.initializer, member.type)) found.push(`${at(member)} static mutable ${member.name.getText(source)}`)
      }
    }
  }
  return found
}

describe('no module-level mutable state', () => {
  for (const folder of NO_MODULE_STATE) {
    it(`in ${folder}`, () => {
      const found = [...readTree(repoRoot, folder)].flatMap(([file, text]) => moduleState(file, text))
      expect(found).toEqual([])
    })
  }

  it('the check finds a module let, a module Map, a static Set and a module array; read-only types pass', () => {
    const text = [
      'let ticker = null',
      'const sessions = new Map<string, number>()',
      'const names = []',
      'const WORDS: ReadonlySet<string> = new Set(["a"])',
      'const SILENCE = new Int16Array(960)',
      'class Pool { static pools = new Set<string>(); private own = new Map() }'
    ].join('\n')
    expect(moduleState('x.ts', text)).toEqual(['x.ts:1 module-level let/var ticker', 'x.ts:2 module-level mutable sessions', 'x.ts:3 module-level mutable names', 'x.ts:6 static mutable pools'])
  })
})
