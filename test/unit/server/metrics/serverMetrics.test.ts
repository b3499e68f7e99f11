import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { TurnTrace } from '../../../../src/shared/latency/trace'
import { TypedEmitter } from '../../../../src/shared/typedEmitter'
import type { AudioFrame } from '../../../../src/server/audio/audioReceiver'
import type { UplinkTotals } from '../../../../src/server/audio/uplink'
import { ProviderError } from '../../../../src/server/providers/errors'
import type { FallbackSwitch } from '../../../../src/server/providers/fallbackChain'
import type { SessionTap } from '../../../../src/server/sessions/session'
import { ServerMetrics, type MeteredSession, type MeteredSessions } from '../../../../src/server/metrics/serverMetrics'
import { MemoryLogger } from '../../../helpers/memoryLogger'
import { promValue } from '../../../helpers/promText'

class FakeSession implements MeteredSession {
  uplinkTotals: UplinkTotals = { packets: 0, lost: 0, decodeMs: 0 }
  readonly taps = new Set<SessionTap>()
  private readonly closeListeners: Array<() => void> = []
  onClose(listener: () => void): void {
    this.closeListeners.push(listener)
  }
  close(): void {
    this.taps.clear()
    for (const l of this.closeListeners.splice(0)) l()
  }
  frame(receivedAt: number): void {
    const frame: AudioFrame = { pcm: new Int16Array(320), sampleRate: 16_000, rtpTimestamp: 0, concealed: false, receivedAt }
    for (const tap of this.taps) tap.onFrame?.(frame)
  }
}

class FakeSessions implements MeteredSessions {
  readonly open = new Set<FakeSession>()
  private readonly listeners = new Set<(s: MeteredSession) => void>()
  get size(): number {
    return this.open.size
  }
  onSessionCreated(listener: (s: MeteredSession) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  create(): FakeSession {
    const s = new FakeSession()
    this.open.add(s)
    s.onClose(() => this.open.delete(s))
    for (const l of this.listeners) l(s)
    return s
  }
}

type VoiceEvents = { turnTrace: TurnTrace; failover: FallbackSwitch; close: undefined }
class FakeVoiceSession {
  readonly events = new TypedEmitter<VoiceEvents>()
  on<E extends keyof VoiceEvents>(event: E, listener: (payload: VoiceEvents[E]) => void): () => void {
    return this.events.on(event, listener)
  }
}

const T0 = 1_700_000_000_000
const backend = (name: TurnTrace['marks'][number]['name'], ms: number) => ({ name, at: T0 + ms, clock: 'backend' as const })
const doneTurn = (turnId: string, status: TurnTrace['status'] = 'done'): TurnTrace => ({
  turnId,
  status,
  marks: [backend('uplink_arrival', 0), backend('end_of_utterance', 200), backend('transcript', 260), backend('llm_first_token', 400), backend('first_sentence', 450), backend('tts_first_audio', 520), backend('reply_sent', 530)]
})
const switchOf = (stage: FallbackSwitch['stage'], to: boolean): FallbackSwitch => ({
  stage,
  from: { id: 'a', label: 'A' },
  to: to ? { id: 'b', label: 'B' } : null,
  error: new ProviderError('unavailable', 'down'),
  afterOutput: false,
  message: 'failed over'
})

function setup() {
  const registry = new Registry()
  let now = 1000
  const logger = new MemoryLogger()
  const metrics = new ServerMetrics({ registry, defaultMetrics: false, now: () => now, logger })
  const sessions = new FakeSessions()
  metrics.observeSessions(sessions)
  return { registry, metrics, sessions, logger, setNow: (t: number) => (now = t), scrape: () => registry.metrics() }
}

describe('ServerMetrics', () => {
  it('sessions open now and created in all, from the session manager', async () => {
    const { sessions, scrape } = setup()
    const a = sessions.create()
    sessions.create()
    let text = await scrape()
    expect(promValue(text, 'voice_assistant_sessions_open')).toBe(2)
    expect(promValue(text, 'voice_assistant_sessions_created_total')).toBe(2)
    a.close()
    text = await scrape()
    expect(promValue(text, 'voice_assistant_sessions_open')).toBe(1)
    expect(promValue(text, 'voice_assistant_sessions_created_total')).toBe(2)
  })

  it('uplink packets in and lost, decode time: read at scrape, and a closed session’s counts stay in the totals', async () => {
    const { sessions, scrape } = setup()
    const a = sessions.create()
    const b = sessions.create()
    a.uplinkTotals = { packets: 100, lost: 2, decodeMs: 50 }
    b.uplinkTotals = { packets: 40, lost: 0, decodeMs: 20 }
    let text = await scrape()
    expect(promValue(text, 'voice_assistant_uplink_packets_total')).toBe(140)
    expect(promValue(text, 'voice_assistant_uplink_packets_lost_total')).toBe(2)
    expect(promValue(text, 'voice_assistant_uplink_decode_seconds_total')).toBeCloseTo(0.07)
    a.uplinkTotals = { packets: 150, lost: 3, decodeMs: 75 }
    a.close()
    b.uplinkTotals = { packets: 45, lost: 1, decodeMs: 22 }
    text = await scrape()
    expect(promValue(text, 'voice_assistant_uplink_packets_total')).toBe(195)
    expect(promValue(text, 'voice_assistant_uplink_packets_lost_total')).toBe(4)
    // Scraping again changes nothing: the counters are totals, not deltas.
    expect(promValue(await scrape(), 'voice_assistant_uplink_packets_total')).toBe(195)
  })

  it('decode lag: the largest arrival → pipeline delay since the previous scrape, over every session’s frames', async () => {
    const { sessions, scrape, setNow } = setup()
    const a = sessions.create()
    const b = sessions.create()
    setNow(1000)
    a.frame(998) // 2 ms
    b.frame(940) // 60 ms (held behind a gap)
    a.frame(999)
    expect(promValue(await scrape(), 'voice_assistant_uplink_decode_lag_seconds')).toBeCloseTo(0.06)
    a.frame(995)
    expect(promValue(await scrape(), 'voice_assistant_uplink_decode_lag_seconds')).toBeCloseTo(0.005)
    expect(promValue(await scrape(), 'voice_assistant_uplink_decode_lag_seconds')).toBe(0)
    a.close()
    expect(a.taps.size).toBe(0)
  })

  it('server VAD batches and on-device STT timings: histograms in seconds', async () => {
    const { metrics, scrape } = setup()
    metrics.vadBatch(3, 2)
    metrics.vadBatch(1, 0.5)
    metrics.sttResult({ queueMs: 30, computeMs: 150 })
    const text = await scrape()
    expect(promValue(text, 'voice_assistant_server_vad_batch_frames_count')).toBe(2)
    expect(promValue(text, 'voice_assistant_server_vad_batch_frames_sum')).toBe(4)
    expect(promValue(text, 'voice_assistant_server_vad_batch_frames_bucket', { le: '2' })).toBe(1)
    expect(promValue(text, 'voice_assistant_server_vad_batch_seconds_sum')).toBeCloseTo(0.0025)
    expect(promValue(text, 'voice_assistant_stt_queue_wait_seconds_sum')).toBeCloseTo(0.03)
    expect(promValue(text, 'voice_assistant_stt_compute_seconds_sum')).toBeCloseTo(0.15)
    expect(promValue(text, 'voice_assistant_stt_compute_seconds_bucket', { le: '0.1' })).toBe(0)
    expect(promValue(text, 'voice_assistant_stt_compute_seconds_bucket', { le: '0.15' })).toBe(1)
  })

  it('turn stages under LiveKit names: one observation per finished turn, however often its trace was sent', async () => {
    const { metrics, scrape, logger } = setup()
    const voice = new FakeVoiceSession()
    metrics.sessionStarted(voice)
    voice.events.emit('turnTrace', { ...doneTurn('t1'), status: 'running' })
    voice.events.emit('turnTrace', doneTurn('t1'))
    voice.events.emit('turnTrace', doneTurn('t1')) // re-sent
    voice.events.emit('turnTrace', doneTurn('t2', 'cancelled'))
    const text = await scrape()
    expect(promValue(text, 'voice_assistant_e2e_latency_seconds_count')).toBe(2)
    expect(promValue(text, 'voice_assistant_e2e_latency_seconds_sum')).toBeCloseTo(1.06)
    expect(promValue(text, 'voice_assistant_end_of_utterance_delay_seconds_sum')).toBeCloseTo(0.4)
    expect(promValue(text, 'voice_assistant_transcription_delay_seconds_sum')).toBeCloseTo(0.52)
    expect(promValue(text, 'voice_assistant_llm_ttft_seconds_sum')).toBeCloseTo(0.28)
    expect(promValue(text, 'voice_assistant_tts_ttfb_seconds_sum')).toBeCloseTo(0.14)
    expect(promValue(text, 'voice_assistant_turns_total', { status: 'done' })).toBe(1)
    expect(promValue(text, 'voice_assistant_turns_total', { status: 'cancelled' })).toBe(1)
    expect(logger.find(/turn metrics/)).toHaveLength(2)
    expect(logger.find(/turn metrics/)[0]!.fields).toMatchObject({ turnId: 't1', e2e_latency: 0.53 })
  })

  it('provider failovers by stage and outcome; a closed voice session is no longer listened to', async () => {
    const { metrics, scrape } = setup()
    const voice = new FakeVoiceSession()
    metrics.sessionStarted(voice)
    voice.events.emit('failover', switchOf('llm', true))
    voice.events.emit('failover', switchOf('llm', true))
    voice.events.emit('failover', switchOf('stt', false))
    voice.events.emit('close', undefined)
    voice.events.emit('failover', switchOf('tts', true))
    voice.events.emit('turnTrace', doneTurn('t9'))
    const text = await scrape()
    expect(promValue(text, 'voice_assistant_provider_failovers_total', { stage: 'llm', outcome: 'next' })).toBe(2)
    expect(promValue(text, 'voice_assistant_provider_failovers_total', { stage: 'stt', outcome: 'exhausted' })).toBe(1)
    expect(promValue(text, 'voice_assistant_provider_failovers_total', { stage: 'tts' })).toBeUndefined()
    expect(promValue(text, 'voice_assistant_e2e_latency_seconds_count')).toBe(0)
  })

  it('two backends in one process keep apart: each has its own registry; default metrics go into that registry', async () => {
    const r1 = new Registry()
    const r2 = new Registry()
    new ServerMetrics({ registry: r1 })
    new ServerMetrics({ registry: r2, defaultMetrics: false })
    const one = await r1.metrics()
    expect(one).toMatch(/^voice_assistant_process_cpu_seconds_total /m)
    expect(one).toMatch(/^voice_assistant_nodejs_eventloop_lag_seconds /m)
    expect(await r2.metrics()).not.toMatch(/process_cpu/)
    expect(promValue(await r2.metrics(), 'voice_assistant_sessions_open')).toBe(0)
  })
})
