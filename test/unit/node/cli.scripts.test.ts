import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as scripts from '../../../scripts/lib.mjs'
import * as src from '../../../src/node/cli'

/**
 * The .mjs scripts run on plain node before node_modules exists, so they cannot import src/node/cli.ts: scripts/lib.mjs
 * has its own parseCli. This pins the two to the same behaviour and messages.
 */
const spec = { options: { dir: { type: 'boolean' }, jobs: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } }, positionals: ['target'] } as const

function outcome(parse: () => unknown): unknown {
  try {
    return { ok: parse() }
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message }
  }
}

describe("scripts/lib.mjs's parseCli is src/node/cli.ts's", () => {
  it.each([
    [['--dir', '--jobs', '4', '-q', 'x']],
    [[]],
    [['--layout']],
    [['-z']],
    [['--jobs']],
    [['--dir=yes']],
    [['a', 'b']]
  ])('%j', (argv) => {
    const fromScripts = outcome(() => scripts.parseCli(argv, spec))
    expect(fromScripts).toEqual(outcome(() => src.parseCli(argv, spec)))
    if (argv[0] === '--layout') expect(fromScripts).toEqual({ error: 'UsageError', message: 'unknown option --layout; known: --dir, --jobs, --quiet (-q); arguments: target' })
  })

  it('knownOptions agree', () => {
    expect(scripts.knownOptions(spec.options)).toBe(src.knownOptions(spec.options))
    expect(scripts.knownOptions({})).toBe('none')
  })

  it('a script exits with code 2 and names the known flags (package.mjs, before it bootstraps anything)', () => {
    const r = spawnSync(process.execPath, [join(scripts.repoRoot, 'scripts', 'package.mjs'), '--layout'], { encoding: 'utf8', timeout: 20_000 })
    expect(r.status).toBe(2)
    expect(r.stderr).toBe('package: unknown option --layout; known: --dir, --layout-only\n')
  })
})

describe('scripts/lib.mjs chooseAppMode (npm start, npm run dev)', () => {
  const electron = '/x/electron'
  it('the desktop app when Electron and a display are there; browser mode otherwise, with the reason', () => {
    expect(scripts.chooseAppMode({ args: [], env: { DISPLAY: ':0' }, platform: 'linux', electron })).toEqual({ mode: 'electron', reason: null })
    expect(scripts.chooseAppMode({ args: [], env: { WAYLAND_DISPLAY: 'wayland-0' }, platform: 'linux', electron })).toMatchObject({ mode: 'electron' })
    expect(scripts.chooseAppMode({ args: [], env: {}, platform: 'darwin', electron })).toMatchObject({ mode: 'electron' })
    expect(scripts.chooseAppMode({ args: ['--browser'], env: { DISPLAY: ':0' }, platform: 'linux', electron })).toEqual({ mode: 'browser', reason: 'browser mode was requested' })
    expect(scripts.chooseAppMode({ args: [], env: { DISPLAY: ':0', VOICE_BROWSER_MODE: '1' }, platform: 'linux', electron })).toEqual({ mode: 'browser', reason: 'browser mode was requested' })
    expect(scripts.chooseAppMode({ args: [], env: { DISPLAY: ':0' }, platform: 'linux', electron: null })).toEqual({ mode: 'browser', reason: 'the Electron binary is not installed (its download host was not reachable)' })
    expect(scripts.chooseAppMode({ args: [], env: {}, platform: 'linux', electron })).toEqual({ mode: 'browser', reason: 'no display is available for a desktop window' })
  })
})
