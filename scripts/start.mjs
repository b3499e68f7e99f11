#!/usr/bin/env node
// `npm start`: bootstrap, build, then run the desktop app (Electron) or, without an Electron binary, browser mode.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { bootstrap } from './bootstrap.mjs'
import { chooseAppMode, electronBinary, fail, repoRoot, run, say } from './lib.mjs'

const args = process.argv.slice(2)

// A talk flag (`npm start -- --toggle`) is for the running app: no bootstrap or build once the app is built, so a
// key bound to it answers at once. The desktop app's second instance hands it over (and starts the app when none
// runs); browser mode's entry sends it to the running services through their run file (`npm run talk` does the same).
const TALK_FLAGS = ['--toggle', '--talk-start', '--talk-stop', '--cancel', '--show']
if (args.some((a) => TALK_FLAGS.includes(a)) && existsSync(join(repoRoot, 'out', 'main', 'browser.js'))) {
  const electronForTalk = electronBinary()
  if (chooseAppMode({ args, env: process.env, platform: process.platform, electron: electronForTalk }).mode === 'browser') process.exit(await run(process.execPath, [join(repoRoot, 'out', 'main', 'browser.js'), ...args.filter((a) => a !== '--browser')]))
  process.exit(await run(electronForTalk, ['.', ...args]))
}

const { workerPath } = await bootstrap('start')
say('building the app (electron-vite build)')
if ((await run(process.execPath, [join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])) !== 0) fail('the build failed (see above)')

const env = { ...process.env, MEDIASOUP_WORKER_BIN: workerPath }
const electron = electronBinary()
const { mode, reason } = chooseAppMode({ args, env: process.env, platform: process.platform, electron })
if (mode === 'electron') {
  say('starting the desktop app')
  process.exit(await run(electron, ['.', ...args.filter((a) => a !== '--browser')], { env }))
}
say(`starting in browser mode: ${reason}`)
process.exit(await run(process.execPath, [join(repoRoot, 'out', 'main', 'browser.js'), ...args.filter((a) => a !== '--browser')], { env: { ...env, VOICE_BROWSER_MODE_REASON: reason } }))
