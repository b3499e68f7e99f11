import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SttFromWorker, SttToWorker } from '../../../../src/node/stt/sttService'
import { startModuleWorker } from '../../../../src/node/worker/moduleWorker'
import { writeTestMoonshine, type TestMoonshine } from '../../../helpers/moonshineTestModel'

const WORKER = fileURLToPath(new URL('../../../../src/node/stt/sttWorker.ts', import.meta.url))

/** The worker's message protocol, spoken directly (SttService's tests cover the queue and restarts). */
describe('sttWorker (the thread SttService runs)', () => {
  let root: string
  let a: TestMoonshine
  let b: TestMoonshine
  let worker: Worker
  const replies: SttFromWorker[] = []
  const waiters: Array<() => void> = []
  const next = async (): Promise<SttFromWorker> => {
    while (!replies.length) await new Promise<void>((r) => waiters.push(r))
    return replies.shift()!
  }
  const send = (m: Omit<SttToWorker, 'type' | 'audio'> & { seconds: number }): void =>
    worker.postMessage({ type: 'transcribe', requestId: m.requestId, modelId: m.modelId, modelDir: m.modelDir, audio: Float32Array.from({ length: m.seconds * 16000 }, (_, i) => 0.1 * Math.sin(i / 10)) } satisfies SttToWorker)

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'stt-worker-'))
    a = await writeTestMoonshine(join(root, 'a'))
    b = await writeTestMoonshine(join(root, 'b'), { layers: 3, heads: 4, hidden: 16, startToken: 4, endToken: 7 })
    worker = startModuleWorker(WORKER, null)
    worker.on('message', (m: SttFromWorker) => {
      replies.push(m)
      waiters.splice(0).forEach((w) => w())
    })
  })
  afterAll(async () => {
    await worker.terminate()
    await rm(root, { recursive: true, force: true })
  })

  it('loads a model once, reloads when another folder is asked for, and answers each request by its id', async () => {
    send({ requestId: 1, modelId: 'a', modelDir: a.dir, seconds: 1 })
    send({ requestId: 2, modelId: 'a', modelDir: a.dir, seconds: 1 })
    send({ requestId: 3, modelId: 'b', modelDir: b.dir, seconds: 1 })
    const [r1, r2, r3] = [await next(), await next(), await next()]
    expect(r1).toMatchObject({ type: 'result', requestId: 1, result: { text: a.expectedText } })
    expect(r2).toMatchObject({ type: 'result', requestId: 2, loadMs: 0 })
    expect(r3).toMatchObject({ type: 'result', requestId: 3, result: { tokens: b.script } })
    expect(r1.type === 'result' && r1.loadMs).toBeGreaterThan(0)
    expect(r3.type === 'result' && r3.loadMs).toBeGreaterThan(0)
  })

  it('answers a bad request with the engine error and keeps serving; ignores messages it does not know', async () => {
    worker.postMessage({ type: 'something else' })
    send({ requestId: 4, modelId: 'x', modelDir: join(root, 'missing'), seconds: 1 })
    expect(await next()).toMatchObject({ type: 'error', requestId: 4, code: 'bad_model' })
    send({ requestId: 5, modelId: 'a', modelDir: a.dir, seconds: 1 })
    expect(await next()).toMatchObject({ type: 'result', requestId: 5, result: { text: a.expectedText } })
  })
})
