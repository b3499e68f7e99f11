import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const repoRoot = join(import.meta.dirname, '..', '..', '..')

/** The entry as `npm run talk` runs it (tsx), in a fresh profile folder with no app running. */
function talk(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, VOICE_ASSISTANT_USER_DATA: mkdtempSync(join(tmpdir(), 'va-talk-cli-')) }
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main/talkCli.ts'), ...args], { cwd: repoRoot, env, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('npm run talk (src/main/talkCli.ts)', () => {
  it('exits 2 with the usage on a bad command line, 3 when no app is running, 0 for --help', () => {
    const bad = talk(['--nope'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('talk: unknown option --nope')
    const none = talk(['--toggle'])
    expect(none.status).toBe(3)
    expect(none.stderr).toContain('no running Voice Assistant (browser mode) was found')
    const help = talk(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('--talk-start  start talking (bind to a key press)')
  })
})
