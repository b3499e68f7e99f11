import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { startModuleWorker } from '../../../../src/node/worker/moduleWorker'

async function roundTrip(path: string, data: unknown): Promise<unknown> {
  const worker = startModuleWorker(path, data)
  try {
    const [message] = (await once(worker, 'message')) as [unknown]
    return message
  } finally {
    await worker.terminate()
  }
}

describe('startModuleWorker', () => {
  it('runs a TypeScript source through tsx inside the thread, with its workerData', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'module-worker-'))
    const path = join(dir, 'echo.ts')
    await writeFile(path, "import { parentPort, workerData } from 'node:worker_threads'\nconst n: number = workerData.n\nparentPort!.postMessage({ doubled: n * 2 })\n")
    expect(await roundTrip(path, { n: 21 })).toEqual({ doubled: 42 })
  })

  it('runs a built .js module as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'module-worker-'))
    const path = join(dir, 'echo.mjs')
    await writeFile(path, "import { parentPort, workerData } from 'node:worker_threads'\nparentPort.postMessage(workerData)\n")
    expect(await roundTrip(path, 'plain')).toBe('plain')
  })
})
