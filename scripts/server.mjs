#!/usr/bin/env node
// `npm run server -- [flags]`: the backend standalone (see src/server/config.ts for flags), after bootstrapping.
// `npm run server -- token …` / `secret …` only issue a token or make a secret: no bootstrap needed for those.
import { join } from 'node:path'
import { bootstrap } from './bootstrap.mjs'
import { repoRoot, run } from './lib.mjs'

const args = process.argv.slice(2)
const env = { ...process.env }
if (args[0] !== 'token' && args[0] !== 'secret') env.MEDIASOUP_WORKER_BIN = (await bootstrap('start')).workerPath
process.exit(await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'server', 'main.ts'), ...args], { env }))
