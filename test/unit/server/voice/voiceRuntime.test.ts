import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { PipelineContext } from '../../../../src/server/pipelines/types'
import { OnDeviceStt } from '../../../../src/server/providers/onDeviceStt'
import { VoiceRuntime } from '../../../../src/server/voice/voiceRuntime'
import { FakeClock } from '../../../helpers/fakeClock'
import { installTestMoonshine } from '../../../helpers/moonshineTestModel'
import { EnergyBatch } from '../../../helpers/voiceSessionRig'

const ctx = (sessionId: string): PipelineContext => ({ sessionId, reply: () => undefined, flushReply: () => undefined, notify: () => undefined })

class ClosableBatch extends EnergyBatch {
  closed = false
  close(): void {
    this.closed = true
  }
}

describe('VoiceRuntime', () => {
  it('keeps the registry of open voice sessions; close ends what is left: sessions, ticker, VAD thread, warm processes', async () => {
    const clock = new FakeClock()
    const batch = new ClosableBatch()
    let loads = 0
    const runtime = new VoiceRuntime({ clock, loadVadBatch: async () => (loads++, batch) })
    expect(loads).toBe(0) // the VAD starts with the first session, not before
    const a = runtime.startSession(ctx('session-a'))
    const b = runtime.startSession(ctx('session-b'))
    await new Promise((r) => setImmediate(r))
    expect(loads).toBe(1) // one batch for every session
    expect(runtime.size).toBe(2)
    expect(runtime.session('session-a')).toBe(a)
    a.close()
    expect(runtime.session('session-a')).toBeUndefined()
    expect(runtime.session('session-b')).toBe(b)
    expect(runtime.ttsPool.spares).toBeGreaterThan(0) // b's espeak-ng spare
    let closedEvent = false
    b.on('close', () => (closedEvent = true))
    await runtime.close()
    expect(closedEvent).toBe(true)
    expect(runtime.size).toBe(0)
    expect(batch.closed).toBe(true)
    expect(runtime.ttsPool.spares).toBe(0)
    expect(clock.liveTimers).toBe(0)
  })

  it('owns one on-device STT for every session (a models folder given), and closes its thread with the runtime', async () => {
    const runtime = new VoiceRuntime({ clock: new FakeClock(), loadVadBatch: null, onDeviceStt: { modelsDir: '/nonexistent/models' } })
    expect(runtime.onDeviceStt).toBeInstanceOf(OnDeviceStt)
    expect(runtime.onDeviceStt!.modelsDir).toBe('/nonexistent/models')
    await runtime.onDeviceStt!.refresh()
    expect(runtime.onDeviceStt!.available()).toBe(false) // nothing installed there
    await runtime.close()
    await expect(runtime.onDeviceStt!.transcribe({ samples: new Int16Array(1600), sampleRate: 16000 }, { signal: new AbortController().signal })).rejects.toMatchObject({ kind: 'unavailable', message: /stopped/ })
    const without = new VoiceRuntime({ clock: new FakeClock(), loadVadBatch: null })
    expect(without.onDeviceStt).toBeNull() // none unless asked for
    await without.close()
  })

  it('without a VAD batch loader there is no server VAD backstop', () => {
    const runtime = new VoiceRuntime({ clock: new FakeClock(), loadVadBatch: null })
    expect(runtime.vad).toBeNull()
  })

  it('tells its hooks (the operator metrics) each session started, each server VAD batch and each on-device transcription', async () => {
    const clock = new FakeClock()
    const dir = await mkdtemp(join(tmpdir(), 'runtime-hooks-'))
    try {
      await installTestMoonshine(dir, 'moonshine-tiny-q8', { words: ['hello'] })
      const started: string[] = []
      const batches: Array<[number, number]> = []
      const stt: Array<{ queueMs: number; computeMs: number }> = []
      const own: string[] = []
      const runtime = new VoiceRuntime({
        clock,
        loadVadBatch: async () => new EnergyBatch(),
        onDeviceStt: { modelsDir: dir, onResult: (r) => own.push(r.modelId) },
        hooks: { sessionStarted: (s) => started.push(s.sessionId), vadBatch: (frames, ms) => batches.push([frames, ms]), sttResult: (r) => stt.push(r) }
      })
      const a = runtime.startSession(ctx('session-a'))
      runtime.startSession(ctx('session-b'))
      expect(started).toEqual(['session-a', 'session-b'])
      await new Promise((r) => setImmediate(r))
      for (let i = 0; i < 5; i++) a.onFrame({ pcm: new Int16Array(320), sampleRate: 16_000, rtpTimestamp: i * 960, concealed: false, receivedAt: 0 })
      await runtime.vad!.tick()
      expect(batches.length).toBeGreaterThan(0)
      expect(batches[0]![0]).toBe(1) // only a had audio ready
      await runtime.onDeviceStt!.transcribe({ samples: new Int16Array(16_000), sampleRate: 16_000 }, { signal: new AbortController().signal })
      expect(stt).toHaveLength(1)
      expect(stt[0]!.computeMs).toBeGreaterThan(0)
      expect(own).toEqual(['moonshine-tiny-q8']) // the caller's own onResult still hears it
      await runtime.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
