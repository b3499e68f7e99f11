import { describe, expect, it } from 'vitest'
import { ProviderError } from '../../../../src/server/providers/errors'
import { FallbackChain } from '../../../../src/server/providers/fallbackChain'
import type { SttProvider } from '../../../../src/server/providers/types'
import { SpeculativeTranscription } from '../../../../src/server/voice/speculativeTranscription'
import { FakeStt } from '../../../helpers/voiceSessionRig'
import { MemoryLogger } from '../../../helpers/memoryLogger'

function rig(stt: SttProvider) {
  const chain = new FallbackChain([stt], { stage: 'stt', firstChunkTimeoutMs: 1000, idleTimeoutMs: 1000 })
  const heard: Array<[number, string]> = []
  const logs = new MemoryLogger()
  let t = 0
  const spec = new SpeculativeTranscription({ now: () => (t += 10), onTranscript: (u, text) => heard.push([u, text]), logger: logs })
  return { chain, heard, logs, spec }
}
const audio = new Int16Array(1600)

describe('SpeculativeTranscription', () => {
  it("transcribes the utterance so far; the commit takes that utterance's transcript, and the detector hears it", async () => {
    const r = rig(new FakeStt('STT', () => 'what time is it'))
    r.spec.start(3, audio, r.chain)
    const result = await r.spec.take(3)
    expect(result).toMatchObject({ text: 'what time is it', provider: 'STT' })
    expect(r.heard).toEqual([[3, 'what time is it']])
    expect(r.spec.take(3)).toBeNull() // taken once
  })

  it('drop aborts it: no transcript reaches the detector and the commit finds none', async () => {
    const stt = new FakeStt('STT', () => 'unused')
    let finish: (t: string) => void = () => undefined
    stt.transcribe = (_a, opts) => {
      stt.calls.push({ audio: _a, signal: opts.signal })
      return new Promise<string>((resolve) => (finish = resolve))
    }
    const r = rig(stt)
    r.spec.start(1, audio, r.chain)
    r.spec.drop(2) // another utterance: nothing happens
    expect(stt.calls[0]!.signal.aborted).toBe(false)
    r.spec.drop(1)
    expect(stt.calls[0]!.signal.aborted).toBe(true)
    finish('too late')
    await new Promise((r) => setImmediate(r))
    expect(r.heard).toEqual([])
    expect(r.spec.take(1)).toBeNull()
  })

  it('a failed transcription is logged and leaves the commit to transcribe the audio itself; nothing to transcribe starts nothing', async () => {
    const r = rig(new FakeStt('STT', () => new ProviderError('http_status', 'HTTP 500')))
    r.spec.start(1, audio, r.chain)
    expect(await r.spec.take(1)).toBeNull()
    expect(r.logs.text()).toMatch(/warn speculative STT failed \{"utterance":\d+,"error":"Speech to text: every provider failed — STT: HTTP 500/)
    r.spec.start(2, null, r.chain)
    expect(r.spec.take(2)).toBeNull()
  })
})
