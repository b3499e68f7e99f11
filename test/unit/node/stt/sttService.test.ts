import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SttService } from '../../../../src/node/stt/sttService'
import { CRASH_BY_EXITING, CRASH_BY_THROWING } from '../../../helpers/crashingSttWorker'
import { writeTestMoonshine, type TestMoonshine } from '../../../helpers/moonshineTestModel'
import { MemoryLogger } from '../../../helpers/memoryLogger'

const CRASHING_WORKER = fileURLToPath(new URL('../../../helpers/crashingSttWorker.ts', import.meta.url))
const speech = (seconds: number): Float32Array => Float32Array.from({ length: seconds * 16000 }, (_, i) => 0.1 * Math.sin(i / 10))

describe('SttService (worker thread, queue, crash restart)', () => {
  let root: string
  let model: TestMoonshine
  let service: SttService | null = null
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'stt-service-'))
    model = await writeTestMoonshine(join(root, 'moonshine'))
  })
  afterEach(async () => {
    await service?.stop()
    service = null
  })
  afterAll(() => rm(root, { recursive: true, force: true }))

  it('transcribes on its worker thread and says what each utterance waited and cost', async () => {
    service = new SttService()
    const first = await service.transcribe('test-moonshine', model.dir, speech(2))
    expect(first.text).toBe(model.expectedText)
    expect(first.loadMs).toBeGreaterThan(0) // the first utterance loads the model…
    expect(first.computeMs).toBeGreaterThanOrEqual(first.loadMs + first.transcriptionMs - 1)
    const second = await service.transcribe('test-moonshine', model.dir, speech(1))
    expect(second.loadMs).toBe(0) // …the next ones find it loaded
    expect(second.queueMs).toBeLessThan(50)
    expect(service.status()).toEqual({ queued: 0, busy: false, restarts: 0, crashesLastMinute: 0 })
  })

  it('runs one utterance at a time in arrival order, and refuses at once when the queue is full', async () => {
    service = new SttService({ maxQueued: 2 })
    const audio = [1, 2, 3].map(speech) // made first: making 3 s of audio takes longer than the service's bookkeeping
    const results = audio.map((a) => service!.transcribe('test-moonshine', model.dir, a))
    expect(service.status()).toMatchObject({ queued: 2, busy: true })
    await expect(service.transcribe('test-moonshine', model.dir, speech(1))).rejects.toMatchObject({
      code: 'busy',
      message: 'on-device speech recognition is busy: 2 utterances already waiting behind the one being transcribed (at most 2); this one was not transcribed'
    })
    const [a, b, c] = await Promise.all(results)
    expect([a!.audioMs, b!.audioMs, c!.audioMs]).toEqual([1000, 2000, 3000])
    // Each one waited for the ones before it to be computed (less the few ms between their arrivals).
    expect(b!.queueMs).toBeGreaterThan(a!.computeMs - 5)
    expect(c!.queueMs).toBeGreaterThan(a!.computeMs + b!.computeMs - 5)
    // Room again once the queue drained.
    await expect(service.transcribe('test-moonshine', model.dir, speech(1))).resolves.toMatchObject({ text: model.expectedText })
  })

  it('a withdrawn utterance leaves the queue; one in flight is dropped when its result comes', async () => {
    service = new SttService()
    const inFlight = new AbortController()
    const queued = new AbortController()
    const a = service.transcribe('test-moonshine', model.dir, speech(1), { signal: inFlight.signal })
    const b = service.transcribe('test-moonshine', model.dir, speech(1), { signal: queued.signal })
    const c = service.transcribe('test-moonshine', model.dir, speech(2))
    queued.abort()
    inFlight.abort()
    await expect(a).rejects.toMatchObject({ code: 'cancelled' })
    await expect(b).rejects.toMatchObject({ code: 'cancelled' })
    await expect(c).resolves.toMatchObject({ text: model.expectedText })
    await expect(service.transcribe('x', model.dir, speech(1), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'cancelled' })
  })

  it.each([
    ['throws an uncaught error', CRASH_BY_THROWING, /crashed while transcribing this utterance \(simulated engine fault\); it has been restarted/],
    ['exits', CRASH_BY_EXITING, /crashed while transcribing this utterance \(the thread exited with code 70\); it has been restarted/]
  ])('when the worker %s, that utterance fails with a clear error, the ones queued behind it and the next one work', async (_, crashDir, message) => {
    const logs = new MemoryLogger()
    service = new SttService({ workerPath: CRASHING_WORKER, logger: logs })
    await service.transcribe('test-moonshine', model.dir, speech(1)) // the model is loaded in the first worker
    const crash = service.transcribe('test-moonshine', crashDir, speech(1))
    const behind = service.transcribe('test-moonshine', model.dir, speech(2))
    await expect(crash).rejects.toMatchObject({ code: 'crashed', message: expect.stringMatching(message) })
    const after = await behind
    expect(after.text).toBe(model.expectedText)
    expect(after.loadMs).toBeGreaterThan(0) // a new thread, which loaded the model again
    await expect(service.transcribe('test-moonshine', model.dir, speech(1))).resolves.toMatchObject({ loadMs: 0 })
    expect(service.status()).toMatchObject({ restarts: 1, crashesLastMinute: 1 })
    expect(logs.text()).toMatch(/error on-device STT worker died; it is restarted for the next utterance \{"reason":/)
    // An uncaught error in the thread reaches its owner with its stack.
    if (crashDir === CRASH_BY_THROWING) expect(logs.find('on-device STT worker thread threw', 'error')[0]?.fields.stack).toMatch(/Error: simulated engine fault\n\s+at /)
  })

  it('stops restarting a worker that keeps crashing, for the rest of that minute', async () => {
    let now = 0
    service = new SttService({ workerPath: CRASHING_WORKER, maxCrashesPerMinute: 2, now: () => now })
    await expect(service.transcribe('m', CRASH_BY_EXITING, speech(1))).rejects.toMatchObject({ code: 'crashed' })
    now = 10_000
    await expect(service.transcribe('m', CRASH_BY_EXITING, speech(1))).rejects.toMatchObject({ code: 'crashed', message: expect.stringMatching(/crashed 2 times within a minute and is paused for 50 s/) })
    await expect(service.transcribe('test-moonshine', model.dir, speech(1))).rejects.toMatchObject({ code: 'crashed', message: expect.stringMatching(/^on-device speech recognition is paused for 50 s/) })
    now = 60_001
    await expect(service.transcribe('test-moonshine', model.dir, speech(1))).resolves.toMatchObject({ text: model.expectedText })
  })

  it("passes the engine's own errors through, and stop() fails what is pending", async () => {
    service = new SttService()
    await expect(service.transcribe('m', join(root, 'nowhere'), speech(1))).rejects.toMatchObject({ code: 'bad_model', message: expect.stringMatching(/cannot read config.json/) })
    const pending = expect(service.transcribe('test-moonshine', model.dir, speech(1))).rejects.toMatchObject({ code: 'stopped' })
    const queued = expect(service.transcribe('test-moonshine', model.dir, speech(1))).rejects.toMatchObject({ code: 'stopped' })
    await service.stop()
    await pending
    await queued
    // A stopped service starts a new worker when it is used again (the app stops it on quit only).
    await expect(service.transcribe('test-moonshine', model.dir, speech(2))).resolves.toMatchObject({ text: model.expectedText })
  })
})
