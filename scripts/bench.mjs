#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs bench/<name>.ts. Each bench prints human lines and one JSON object as
// its last line. `npm run bench` alone lists the benches.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { bootstrap } from './bootstrap.mjs'
import { fail, repoRoot, run } from './lib.mjs'

const [name, ...args] = process.argv.slice(2)
const benches = readdirSync(join(repoRoot, 'bench')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3))
if (!name) {
  console.log(`usage: npm run bench -- <name>\nbenches: ${benches.join(', ')}`)
  process.exit(0)
}
if (!benches.includes(name)) fail(`no bench named ${JSON.stringify(name)}; benches: ${benches.join(', ')}`)
const { workerPath } = await bootstrap('test')
process.exit(
  await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', `${name}.ts`), ...args], {
    env: { ...process.env, MEDIASOUP_WORKER_BIN: workerPath }
  })
)
