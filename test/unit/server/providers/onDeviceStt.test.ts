import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../../src/shared/logging/logger'
import { ProviderError } from '../../../../src/server/providers/errors'
import { FallbackChain } from '../../../../src/server/providers/fallbackChain'
import { noSpeechToTextMessage, OnDeviceStt, resolveSttWorkerPath, type OnDeviceResult } from '../../../../src/server/providers/onDeviceStt'
import type { SttProvider } from '../../../../src/server/providers/types'
import { SpeculativeTranscription } from '../../../../src/server/voice/speculativeTranscription'
import { installTestMoonshine } from '../../../helpers/moonshineTestModel'

const WORDS = ['what', 'is', 'twelve', 'times', 'seven']
/** 1.5 s of a quiet tone at 16 kHz: the engine's length cap (6.5 tokens per second) leaves room for the five words. */
const utterance = (seconds = 1.5): Int16Array => Int16Array.from({ length: seconds * 16000 }, (_, i) => Math.round(3000 * Math.sin(i / 10)))
const signal = (): AbortSignal => new AbortController().signal

describe('OnDeviceStt: the backend on-device speech recognition provider', () => {
  const cleanups: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  async function modelsFolder(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'on-device-stt-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    return dir
  }
  function provider(modelsDir: string, extra: Partial<ConstructorParameters<typeof OnDeviceStt>[0]> = {}): OnDeviceStt {
    const stt = new OnDeviceStt({ modelsDir, ...extra })
    cleanups.push(() => stt.close())
    return stt
  }

  it('with no model installed it is not available, and a call says how to install one', async () => {
    const dir = await modelsFolder()
    const stt = provider(dir)
    expect(await stt.refresh()).toBeNull()
    expect(stt.available()).toBe(false)
    expect(stt.label).toBe('on-device speech recognition (no model installed)')
    const error = await stt.transcribe({ samples: utterance(), sampleRate: 16000 }, { signal: signal() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error).toMatchObject({ kind: 'unavailable', message: noSpeechToTextMessage(dir) })
    expect((error as Error).message).toContain('Local speech recognition panel')
    expect((error as Error).message).toContain(`npm run models -- install --models-dir "${dir}"`)
  })

  it('a model installed while it runs is used at the next look at the folder; its label names engine and model', async () => {
    const dir = await modelsFolder()
    const results: OnDeviceResult[] = []
    const stt = provider(dir, { onResult: (r) => results.push(r) })
    expect(await stt.refresh()).toBeNull()
    await installTestMoonshine(dir, 'moonshine-tiny-q8', { words: WORDS })
    expect(stt.available()).toBe(false) // not looked at again yet…
    expect(await stt.refresh()).toMatchObject({ id: 'moonshine-tiny-q8', shortName: 'Moonshine Tiny', dir: join(dir, 'moonshine-tiny-q8') })
    expect(stt.available()).toBe(true) // …and now it is
    expect(stt.label).toBe('on-device Moonshine Tiny')
    const answer = await stt.transcribe({ samples: utterance(), sampleRate: 16000 }, { signal: signal() })
    expect(answer.text).toBe('what is twelve times seven')
    expect(answer.computeMs).toBeGreaterThan(0)
    expect(answer.queueMs).toBeGreaterThanOrEqual(0)
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ modelId: 'moonshine-tiny-q8', text: 'what is twelve times seven', audioMs: 1500 })
  })

  it('warmUp (the user started speaking) loads a newly seen model, so the first transcript does not wait for the load', async () => {
    const dir = await modelsFolder()
    const results: OnDeviceResult[] = []
    const stt = provider(dir, { onResult: (r) => results.push(r) })
    stt.warmUp() // nothing installed: nothing to load
    await installTestMoonshine(dir, 'moonshine-tiny-q8', { words: WORDS })
    stt.warmUp()
    await stt.transcribe({ samples: utterance(), sampleRate: 16000 }, { signal: signal() })
    expect(results).toHaveLength(1) // the warm-up itself is not a transcription anyone asked for
    expect(results[0]!.loadMs).toBe(0) // loaded by the warm-up, before this utterance's turn on the worker
  })

  it('a folder that was looked at long ago is looked at again when the chain asks whether it is available', async () => {
    const dir = await modelsFolder()
    let now = 0
    const stt = provider(dir, { now: () => now, maxStaleMs: 1000 })
    await stt.refresh()
    await installTestMoonshine(dir, 'moonshine-tiny-q8')
    now = 500
    expect(stt.available()).toBe(false)
    now = 1600
    expect(stt.available()).toBe(false) // this call starts the look…
    await expect.poll(() => stt.available()).toBe(true) // …and the next ones see the model
  })

  it('uses the catalog default when it is installed, else any installed model; a removed model stops being offered', async () => {
    const dir = await modelsFolder()
    const stt = provider(dir)
    await installTestMoonshine(dir, 'moonshine-base-q8')
    expect((await stt.refresh())?.id).toBe('moonshine-base-q8')
    expect(stt.label).toBe('on-device Moonshine Base')
    await installTestMoonshine(dir, 'moonshine-tiny-q8')
    expect((await stt.refresh())?.id).toBe('moonshine-tiny-q8')
    await rm(join(dir, 'moonshine-tiny-q8'), { recursive: true })
    expect((await stt.refresh())?.id).toBe('moonshine-base-q8')
    // A folder without its manifest (a half-finished copy by hand) is not installed.
    await rm(join(dir, 'moonshine-base-q8', 'manifest.json'))
    expect(await stt.refresh()).toBeNull()
    // Nor is one whose manifest names another model.
    await mkdir(join(dir, 'moonshine-tiny-q8'), { recursive: true })
    await writeFile(join(dir, 'moonshine-tiny-q8', 'manifest.json'), JSON.stringify({ id: 'moonshine-base-q8' }))
    expect(await stt.refresh()).toBeNull()
  })

  it('takes 16 kHz only, and a closed provider is unavailable', async () => {
    const dir = await modelsFolder()
    await installTestMoonshine(dir, 'moonshine-tiny-q8')
    const stt = provider(dir)
    await expect(stt.transcribe({ samples: utterance(), sampleRate: 48000 }, { signal: signal() })).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('16 kHz') })
    await stt.refresh()
    expect(stt.available()).toBe(true)
    await stt.close()
    expect(stt.available()).toBe(false)
    await expect(stt.transcribe({ samples: utterance(), sampleRate: 16000 }, { signal: signal() })).rejects.toMatchObject({ kind: 'unavailable' })
  })

  it('a call aborted while it waits is a cancellation, not a failure', async () => {
    const dir = await modelsFolder()
    await installTestMoonshine(dir, 'moonshine-tiny-q8')
    const stt = provider(dir)
    const abort = new AbortController()
    const call = stt.transcribe({ samples: utterance(), sampleRate: 16000 }, { signal: abort.signal })
    abort.abort(new ProviderError('cancelled', 'barge-in'))
    await expect(call).rejects.toMatchObject({ kind: 'cancelled' })
  })

  it('speculative transcription on the device: the transcript, its stt_compute_ms and the provider come back once', async () => {
    const dir = await modelsFolder()
    await installTestMoonshine(dir, 'moonshine-tiny-q8', { words: WORDS })
    const stt = provider(dir)
    await stt.refresh()
    const chain = new FallbackChain<SttProvider>([stt], { stage: 'stt', firstChunkTimeoutMs: 20_000, idleTimeoutMs: 20_000 })
    const heard: string[] = []
    const speculation = new SpeculativeTranscription({ now: () => performance.now(), onTranscript: (_u, text) => heard.push(text), logger: silentLogger })
    speculation.start(1, utterance(), chain)
    const result = await speculation.take(1)
    expect(result).toMatchObject({ text: 'what is twelve times seven', provider: 'on-device Moonshine Tiny', notes: [] })
    expect(result!.computeMs).toBeGreaterThan(0)
    expect(heard).toEqual(['what is twelve times seven'])
    expect(speculation.take(1)).toBeNull() // taken once: the commit does not transcribe again
  })

  it('finds the built worker next to the backend bundle, and runs the source under tsx', () => {
    const bundle = pathToFileURL('/app/out/main/server.js').href
    expect(resolveSttWorkerPath(bundle, (p) => p === '/app/out/main/sttWorker.js')).toBe('/app/out/main/sttWorker.js')
    expect(resolveSttWorkerPath(pathToFileURL('/app/out/main/chunks/x.js').href, (p) => p === '/app/out/main/sttWorker.js')).toBe('/app/out/main/sttWorker.js')
    expect(resolveSttWorkerPath(bundle, () => false)).toBeUndefined()
    expect(resolveSttWorkerPath(pathToFileURL('/repo/src/server/providers/onDeviceStt.ts').href, () => true)).toBeUndefined()
  })

  it('without an on-device engine the notice says where providers are set', () => {
    expect(noSpeechToTextMessage(null)).toBe('No speech-to-text provider is configured for the voice loop: set one in Settings → Providers.')
  })
})
