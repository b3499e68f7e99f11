#!/usr/bin/env node
// `npm test`: bootstrap (system packages, npm deps, mediasoup worker), typecheck, lint, build, then unit and end-to-end
// tests. Extra arguments go to vitest (e.g. `npm test -- test/unit/shared`). Ends with one line
// "N passed, N failed, N skipped".
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bootstrap } from './bootstrap.mjs'
import { fail, repoRoot, run, say } from './lib.mjs'

const extra = process.argv.slice(2)
const t0 = Date.now()
const { workerPath } = await bootstrap('test')
const env = { ...process.env, MEDIASOUP_WORKER_BIN: workerPath }
const bin = (pkg, file) => join(repoRoot, 'node_modules', pkg, file)

say('typecheck (tsc --noEmit)')
if ((await run(process.execPath, [bin('typescript', 'bin/tsc'), '--noEmit', '-p', 'tsconfig.json'])) !== 0) fail('typecheck failed (see above)')
say('lint (eslint)')
if ((await run(process.execPath, [bin('eslint', 'bin/eslint.js'), '.'])) !== 0) fail('lint failed (see above)')
say('build (electron-vite build)')
if ((await run(process.execPath, [bin('electron-vite', 'bin/electron-vite.js'), 'build'], { env })) !== 0) fail('build failed (see above)')

const resultsDir = join(repoRoot, 'test-results')
mkdirSync(resultsDir, { recursive: true })
const totals = { passed: 0, failed: 0, skipped: 0 }
let exitCode = 0
for (const project of ['unit', 'e2e']) {
  const out = join(resultsDir, `${project}.json`)
  say(`running ${project} tests`)
  const code = await run(
    process.execPath,
    [bin('vitest', 'vitest.mjs'), 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra],
    { env }
  )
  if (code !== 0) exitCode = 1
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, 'utf8'))
    totals.passed += report.numPassedTests ?? 0
    // A file that fails to load counts as a failure too, and so does a non-zero exit with nothing failed in it.
    const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0)
    totals.failed += failed === 0 && code !== 0 ? 1 : failed
    totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  } else if (code !== 0) {
    totals.failed += 1
  }
}
say(`tests finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(exitCode)
