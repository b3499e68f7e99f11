import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { EMBEDDED_ORIGINS_ENV, EMBEDDED_SECRET_ENV } from '../../../src/shared/contract/signaling'
import { connectSignaling, type WebSocketLike } from '../../../src/shared/signalingClient'

const repo = join(import.meta.dirname, '..', '..', '..')
const entry = join(repo, 'src', 'server', 'main.ts')
const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 })
const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

describe('the backend entry (src/server/main.ts)', () => {
  it('exits 2 on an unknown flag, naming the known ones', () => {
    const r = run(['--frobnicate'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/unknown option --frobnicate; known: --listen/)
  })

  it('refuses to listen beyond loopback without a token secret, with the commands that make one (exit 2)', () => {
    const r = run(['--listen', '0.0.0.0'], { VOICE_ASSISTANT_TOKEN_SECRET: '' })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0 without a token secret')
    expect(r.stderr).toContain('npm run server -- secret --out ./token-secret')
    expect(r.stdout).toBe('')
  })

  it('issues a token with the secret from the environment; refuses a short secret', () => {
    const ok = run(['token', '--ttl', '1h', '--subject', 'alice', '--scope', 'voice'], { VOICE_ASSISTANT_TOKEN_SECRET: 'x'.repeat(40) })
    expect(ok.status).toBe(0)
    expect(ok.stdout.trim()).toMatch(/^va1\.[\w-]+\.[\w-]+$/)
    expect(ok.stderr).toMatch(/access token for alice, pipelines voice, valid until/)
    const short = run(['token', '--ttl', '1h'], { VOICE_ASSISTANT_TOKEN_SECRET: 'short' })
    expect(short.status).toBe(2)
    expect(short.stderr).toMatch(/too short/)
  })

  it('embedded: the ready line carries the URL with the per-run secret; without it the backend refuses', async () => {
    const secret = 'per-run-secret-0123456789abcdefghijklmnopq'
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--listen', '127.0.0.1', '--workers', '1'], {
      cwd: repo,
      env: { ...process.env, [EMBEDDED_SECRET_ENV]: secret, [EMBEDDED_ORIGINS_ENV]: 'app://bundle' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      const ready = JSON.parse(await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve)
        child.once('exit', (code) => reject(new Error(`exited ${code}`)))
      })) as { event: string; signalingUrl: string }
      expect(ready.event).toBe('ready')
      expect(ready.signalingUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/signaling\\?token=${secret}$`))
      await expect(connectSignaling(ready.signalingUrl.split('?')[0]!, factory)).rejects.toThrow(/401/)
      const app = await connectSignaling(ready.signalingUrl, factory)
      expect((await app.request('hello', { protocolVersion: 1, client: 'test' })).providers).toEqual({ clientProviders: 'any', operator: { stt: [], llm: [], tts: [] } })
      app.close()
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  })
})
