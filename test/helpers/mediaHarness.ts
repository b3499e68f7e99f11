import { createServer, type Server } from 'node:http'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startBackend, type RunningBackend } from '../../src/server/backend'
import type { AudioFrame } from '../../src/server/audio/audioReceiver'
import type { SessionManagerOptions } from '../../src/server/sessions/sessionManager'
import { launchChromium } from './chromium'
import { createPinoLogger } from '../../src/node/logging/pinoLogger'

const harnessDir = join(import.meta.dirname, 'media-harness')
let built: string | null = null

/** Bundle the media harness page (the real renderer media module + mediasoup-client) with Vite, once per process. */
export async function buildMediaHarness(): Promise<string> {
  if (built) return built
  const { build } = await import('vite')
  const outDir = mkdtempSync(join(tmpdir(), 'va-media-harness-'))
  await build({ configFile: false, root: harnessDir, base: './', logLevel: 'error', build: { outDir, emptyOutDir: true, minify: false } })
  built = outDir
  return outDir
}

/** Serve a directory on loopback (a secure context, so getUserMedia works). */
export async function serveDir(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '')
    const file = join(dir, path === '/' ? 'index.html' : path)
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) })
  }
}

export interface MediaRig {
  backend: RunningBackend
  browser: Browser
  page: Page
  pageUrl: string
  close(): Promise<void>
}

/** The decoded uplink frames of every session the backend creates from now on, by session id. */
export function recordUplinkFrames(backend: RunningBackend): Map<string, AudioFrame[]> {
  const frames = new Map<string, AudioFrame[]>()
  backend.sessions.onSessionCreated((session) => {
    const list: AudioFrame[] = []
    frames.set(session.id, list)
    session.taps.add({ onFrame: (f) => list.push(f) })
  })
  return frames
}

/** Backend in this process (1 worker, loopback) + Chromium on the harness page, optionally with a fake-mic WAV. */
export async function startMediaRig(opts: { fakeMicWav?: string; workers?: number; sessions?: SessionManagerOptions; extraArgs?: string[]; announcedIp?: string } = {}): Promise<MediaRig> {
  const dir = await buildMediaHarness()
  const site = await serveDir(dir)
  const backend = await startBackend(
    { listenIp: '127.0.0.1', announcedIp: opts.announcedIp ?? null, rtcPort: 0, signalingPort: 0, workers: opts.workers ?? 1, logLevel: 'warn' },
    { sessions: opts.sessions, logger: process.env.MEDIA_DEBUG ? createPinoLogger({ level: 'debug', name: 'backend' }) : undefined }
  )
  const browser = await launchChromium({ fakeMicWav: opts.fakeMicWav, extraArgs: opts.extraArgs })
  const page = await browser.newPage()
  if (process.env.MEDIA_DEBUG) page.on('console', (m) => console.error('[page]', m.text()))
  await page.goto(site.url)
  await page.waitForFunction(() => 'mediaHarness' in window)
  return {
    backend,
    browser,
    page,
    pageUrl: site.url,
    close: async () => {
      await browser.close().catch(() => undefined)
      await backend.close()
      await site.close()
    }
  }
}

/** 16-bit mono WAV → Float32 samples (−1..1) and rate. Only what sox writes for the fixtures (PCM 16). */
export function readWavMono16(file: string): { rate: number; samples: Float32Array } {
  const buf = readFileSync(file)
  let offset = 12
  let rate = 0
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4)
    const size = buf.readUInt32LE(offset + 4)
    if (id === 'fmt ') rate = buf.readUInt32LE(offset + 12)
    if (id === 'data') {
      const n = Math.floor(size / 2)
      const samples = new Float32Array(n)
      for (let i = 0; i < n; i++) samples[i] = buf.readInt16LE(offset + 8 + i * 2) / 32768
      return { rate, samples }
    }
    offset += 8 + size + (size & 1)
  }
  throw new Error(`${file}: no data chunk`)
}
