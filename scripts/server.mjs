#!/usr/bin/env node
// `npm run server -- [flags]`: the backend standalone (see src/server/config.ts for flags), after bootstrapping.
import { join } from 'node:path'
import { bootstrap } from './bootstrap.mjs'
import { repoRoot, run } from './lib.mjs'

const { workerPath } = await bootstrap('start')
process.exit(
  await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'server', 'main.ts'), ...process.argv.slice(2)], {
    env: { ...process.env, MEDIASOUP_WORKER_BIN: workerPath }
  })
)
