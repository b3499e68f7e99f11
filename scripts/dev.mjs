#!/usr/bin/env node
// `npm run dev`: bootstrap (as `npm start` does), then the app with hot reload of the window. With an Electron binary
// and a display: `electron-vite dev` (renderer from Vite's dev server with HMR; main and preload rebuilt and the app
// restarted on change with --watch). Otherwise browser mode: the main bundle is built once, Vite's dev server runs
// here on loopback, and browser mode serves the page from it (`--dev-server`), HMR socket included.
// Flags: --browser (browser mode even with Electron), --no-bootstrap (skip the bootstrap: the tests, which must not
// run `npm ci`), --no-open, --port <n> (browser mode's port); anything else goes to the app.
import { join } from 'node:path'
import { bootstrap } from './bootstrap.mjs'
import { chooseAppMode, electronBinary, fail, repoRoot, run, say } from './lib.mjs'

const args = process.argv.slice(2)
const skipBootstrap = args.includes('--no-bootstrap')
const appArgs = args.filter((a) => a !== '--browser' && a !== '--no-bootstrap')
const electronVite = join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')

const workerPath = skipBootstrap ? process.env.MEDIASOUP_WORKER_BIN : (await bootstrap('start')).workerPath
const env = { ...process.env, ...(workerPath ? { MEDIASOUP_WORKER_BIN: workerPath } : {}) }
const { mode, reason } = chooseAppMode({ args, env: process.env, platform: process.platform, electron: electronBinary() })

if (mode === 'electron') {
  say('starting the desktop app with hot reload (electron-vite dev)')
  process.exit(await run(process.execPath, [electronVite, 'dev', '--watch', ...(appArgs.length > 0 ? ['--', ...appArgs] : [])], { env }))
}

say(`browser mode with hot reload: ${reason}`)
say('building the main bundle (electron-vite build)')
if ((await run(process.execPath, [electronVite, 'build'], { env })) !== 0) fail('the build failed (see above)')

// The renderer's Vite config exactly as electron-vite resolves it for `dev` (React plugin, the dev-only CSP plugin).
const { resolveConfig } = await import('electron-vite')
const { createServer } = await import('vite')
const resolved = await resolveConfig({ root: repoRoot }, 'serve', 'development')
const rendererConfig = resolved.config?.renderer
if (!rendererConfig) fail('electron.vite.config.ts has no renderer config')
const vite = await createServer({ ...rendererConfig, configFile: false, server: { ...rendererConfig.server, host: '127.0.0.1', port: 5173, strictPort: false } })
await vite.listen()
const devServer = vite.resolvedUrls?.local[0]?.replace(/\/$/, '')
if (!devServer) fail('the Vite dev server did not say where it listens')
say(`renderer dev server (hot reload) at ${devServer}`)

const code = await run(process.execPath, [join(repoRoot, 'out', 'main', 'browser.js'), '--dev-server', devServer, ...appArgs], { env: { ...env, VOICE_BROWSER_MODE_REASON: `${reason} (npm run dev: hot reload)` } })
await vite.close()
process.exit(code)
