import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ProviderError } from '../../../../src/server/providers/errors'
import { noSpeechToTextMessage, OnDeviceStt, type OnDeviceResult } from '../../../../src/server/providers/onDeviceStt'
import { installTestMoonshine } from '../../../helpers/moonshineTestModel'
import { FakeStt, startVoiceSessionRig, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

describe('VoiceSession: provider failover', () => {
  let rig: VoiceSessionRig
  afterEach(async () => {
    await rig?.close()
  })

  async function askAndCommit(): Promise<void> {
    await rig.run(500)
    rig.client('vadActive')
    rig.client('speechStart', 't1')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't1')
    await rig.run(1500)
  }

  it('a failing STT provider falls to the next one: the turn keeps its words and the user is told which failed and why', async () => {
    const broken = new FakeStt('Broken STT', () => new ProviderError('http_status', 'HTTP 503: overloaded', 503))
    const working = new FakeStt('Working STT', () => 'what time is it')
    rig = startVoiceSessionRig({ stt: [broken, working] })
    await askAndCommit()
    expect(broken.calls).toHaveLength(1)
    expect(working.calls).toHaveLength(1)
    expect(working.calls[0]!.audio.samples).toEqual(broken.calls[0]!.audio.samples) // the same call, moved on
    expect(rig.notices).toEqual([{ level: 'warning', message: 'Speech to text: Broken STT failed: HTTP 503: overloaded — using Working STT' }])
    expect(rig.lastTrace('t1')).toMatchObject({ status: 'done', transcript: 'what time is it', providers: { stt: 'Working STT' } })
    expect(rig.llm.calls[0]!.messages.at(-1)!.content).toBe('what time is it')
  })

  it('its failover listeners (the operator metrics) hear each switch with its stage, and the end of the line', async () => {
    const broken = new FakeStt('Broken STT', () => new ProviderError('http_status', 'HTTP 503: overloaded', 503))
    const working = new FakeStt('Working STT', () => 'what time is it')
    rig = startVoiceSessionRig({ stt: [broken, working] })
    const switches: string[] = []
    rig.session.on('failover', (s) => switches.push(`${s.stage}: ${s.from.label} -> ${s.to?.label ?? 'none'}`))
    await askAndCommit()
    working.answer = () => new ProviderError('unreachable', 'could not connect')
    rig.client('speechStart', 't2')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't2')
    await rig.run(1500)
    expect(switches).toEqual(['stt: Broken STT -> Working STT', 'stt: Working STT -> Broken STT', 'stt: Broken STT -> none'])
  })

  it('the failed provider sits out its cool-down: the next turn asks the working one first', async () => {
    const broken = new FakeStt('Broken STT', () => new ProviderError('unreachable', 'could not connect'))
    const working = new FakeStt('Working STT', () => 'what time is it')
    rig = startVoiceSessionRig({ stt: [broken, working] })
    await askAndCommit()
    rig.client('speechStart', 't2')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't2')
    await rig.run(1500)
    expect(broken.calls).toHaveLength(1)
    expect(working.calls).toHaveLength(2)
    expect(rig.notices).toHaveLength(1)
  })

  it('when every STT provider fails, the turn fails with an error notice and the session goes on', async () => {
    const broken = new FakeStt('Broken STT', () => new ProviderError('timeout', 'no answer within 4000 ms'))
    rig = startVoiceSessionRig({ stt: [broken] })
    await askAndCommit()
    expect(rig.notices.map((n) => n.level)).toEqual(['error', 'error'])
    expect(rig.notices[0]!.message).toBe('Speech to text: Broken STT failed: no answer within 4000 ms — no other provider left')
    expect(rig.notices[1]!.message).toMatch(/^Turn failed: Speech to text: every provider failed — Broken STT: no answer within 4000 ms/)
    expect(rig.lastTrace('t1')!.status).toBe('failed')
    expect(rig.llm.calls).toHaveLength(0)
    broken.answer = () => 'hello'
    rig.client('speechStart', 't2')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't2')
    await rig.run(1500)
    expect(rig.lastTrace('t2')).toMatchObject({ status: 'done', transcript: 'hello' })
  })

  it('configure swaps the providers; the chains a running turn uses close when that turn ends', async () => {
    rig = startVoiceSessionRig()
    rig.llm.hold = true
    await rig.run(500)
    rig.client('vadActive')
    rig.client('speechStart', 't1')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't1')
    await rig.run(100)
    expect(rig.chainEvents).toMatchObject({ built: 1, closed: 0 })
    const labels = rig.session.configure({ stt: [], llm: [], tts: [], systemPrompt: 'Be brief.' })
    expect(labels).toEqual({ stt: ['Fake STT'], llm: ['Fake LLM'], tts: ['Fake TTS'] })
    expect(rig.chainEvents).toMatchObject({ built: 2, closed: 0 }) // the running turn still uses the old ones
    rig.llm.release()
    await rig.run(1500)
    expect(rig.chainEvents).toMatchObject({ built: 2, closed: 1 })
    rig.client('speechStart', 't2')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't2')
    await rig.run(200)
    expect(rig.llm.calls.at(-1)!.messages[0]).toEqual({ role: 'system', content: 'Be brief.' })
  })
})

/**
 * The on-device engine loads and runs on its own worker thread (the TypeScript source through tsx in tests): with
 * the whole unit suite running on two cores that took over 10 s once, so these waits allow 40 s.
 */
const ON_DEVICE_WAIT_MS = 40_000

describe('VoiceSession: the on-device STT of the runtime', () => {
  let rig: VoiceSessionRig
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    await rig?.close()
    for (const c of cleanups.splice(0).reverse()) await c()
  }, 120_000)
  async function modelsFolder(installed: boolean): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'session-on-device-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    if (installed) await installTestMoonshine(dir, 'moonshine-tiny-q8', { words: ['what', 'is', 'twelve', 'times', 'seven'] })
    return dir
  }

  it('nothing configured and no model installed: configure says how to install one; a spoken turn ends with that notice, no apology; a model installed then is used at the next turn', async () => {
    const dir = await modelsFolder(false)
    rig = startVoiceSessionRig({ stt: [], onDeviceStt: new OnDeviceStt({ modelsDir: dir }) })
    rig.session.configure({ stt: [], llm: [], tts: [] })
    await rig.runUntil(() => rig.notices.length > 0, ON_DEVICE_WAIT_MS)
    expect(rig.notices).toEqual([{ level: 'warning', message: noSpeechToTextMessage(dir), code: 'no_speech_to_text' }])
    await rig.run(200)
    rig.client('vadActive')
    rig.client('speechStart', 't1')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't1')
    await rig.runUntil(() => rig.lastTrace('t1')?.status === 'failed', ON_DEVICE_WAIT_MS)
    expect(rig.notices.at(-1)).toEqual({ level: 'error', message: `Turn failed: ${noSpeechToTextMessage(dir)}`, code: 'no_speech_to_text' })
    expect(rig.tts.sentences).toEqual([]) // nothing to apologize for: there was no recognizer to fail
    // The user installs the model (the app's setup, or npm run models): the next turn uses it, with no restart.
    await installTestMoonshine(dir, 'moonshine-tiny-q8', { words: ['what', 'is', 'twelve', 'times', 'seven'] })
    rig.client('speechStart', 't2')
    await rig.run(1500, 'speech')
    rig.client('endOfUtterance', 't2')
    await rig.runUntil(() => rig.lastTrace('t2')?.status === 'done', ON_DEVICE_WAIT_MS)
    expect(rig.lastTrace('t2')).toMatchObject({ transcript: 'what is twelve times seven', providers: { stt: 'on-device Moonshine Tiny' } })
  }, 120_000)

  it('nothing configured, a model installed: transcribed on the device once, at the early speech_end; the commit reuses it', async () => {
    const dir = await modelsFolder(true)
    const results: OnDeviceResult[] = []
    rig = startVoiceSessionRig({ stt: [], onDeviceStt: new OnDeviceStt({ modelsDir: dir, onResult: (r) => results.push(r) }) })
    rig.session.configure({ stt: [], llm: [], tts: [] })
    await rig.runUntil(() => rig.session.labels.stt.length > 0, ON_DEVICE_WAIT_MS) // the runtime looks at the models folder at start
    expect(rig.session.labels.stt).toEqual(['on-device Moonshine Tiny'])
    rig.client('vadActive')
    rig.client('speechStart', 't1')
    await rig.run(1500, 'speech')
    rig.client('speechEnd')
    await rig.runUntil(() => results.length === 1, ON_DEVICE_WAIT_MS) // the speculative transcription, on the STT thread
    rig.client('endOfUtterance', 't1')
    await rig.runUntil(() => rig.lastTrace('t1')?.status === 'done', ON_DEVICE_WAIT_MS)
    const trace = rig.lastTrace('t1')!
    expect(trace).toMatchObject({ transcript: 'what is twelve times seven', providers: { stt: 'on-device Moonshine Tiny' } })
    expect(trace.notes?.join('\n')).toMatch(/speculative STT/)
    expect(results).toHaveLength(1) // the commit did not transcribe again
    expect(trace.compute?.stt).toBe(results[0]!.computeMs) // stt_compute_ms: the engine's, without its queue wait
    // The final transcript was there before the turn was committed.
    const at = (name: string): number => trace.marks.find((m) => m.name === name)!.at
    expect(at('transcript')).toBeLessThanOrEqual(at('end_of_utterance'))
    expect(rig.notices).toEqual([])
    expect(rig.llm.calls[0]!.messages.at(-1)!.content).toBe('what is twelve times seven')
  }, 120_000)
})
