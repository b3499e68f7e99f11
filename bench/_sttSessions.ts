/**
 * `bench stt --sessions N`: N voice sessions holding conversations at once on ONE backend's VoiceRuntime, all of
 * whose utterances queue for its one on-device STT thread (the Moonshine Tiny architecture-sized stand-in). Reports
 * how long utterances waited in that queue (goal: none over 1 s with 20 sessions) and what each transcription cost.
 *
 * What runs is the backend's own voice runtime: VoiceSession per session (turn detector, speculative STT at the app's
 * early speech_end, commit at end_of_utterance), the batched Silero server VAD on its thread, the on-device STT on
 * its thread, replies streamed by the OpenAI-compatible chat provider (a local stub answering one short sentence, so
 * a conversation turns over quickly: the harder case for the queue) and spoken by espeak-ng from the runtime's pool,
 * paced out in 20 ms frames. Left out: WebRTC and Opus (the uplink arrives as 16 kHz frames, 20 ms apart, as the
 * session's decoder hands them over), so the measure is the STT queue, not the media path (`bench sessions` is that).
 *
 * Each simulated user speaks in turn: an espeak-ng question (1.2–3.5 s, each session starting elsewhere in the
 * list), then the app VAD's events as the app sends them (speech_end 160 ms into the pause, end_of_utterance at
 * 640 ms), listens to the whole reply, thinks 0.6–1.6 s, and asks again. Sessions start spread over the first 8 s.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PacedSender } from '../src/server/audio/pacedSender'
import type { PipelineContext } from '../src/server/pipelines/types'
import type { OnDeviceResult } from '../src/server/providers/onDeviceStt'
import { VoiceRuntime } from '../src/server/voice/voiceRuntime'
import type { VoiceSession } from '../src/server/voice/voiceSession'
import { realClock } from '../src/shared/clock'
import type { TurnTrace } from '../src/shared/latency/trace'
import { MOONSHINE_TINY } from '../test/helpers/moonshineStandIn'
import { startOpenAiStub } from '../test/helpers/openaiStub'
import { SpeechCorpus } from '../test/helpers/speech'
import { pct, round } from './_proc'
import { installStandIn } from './_sttStandIn'
import { createPinoLogger } from '../src/node/logging/pinoLogger'

const QUESTIONS = [
  'What time is it?',
  'What is twelve times seven?',
  'Set a timer for five minutes.',
  "What's the date today?",
  'How long is left on my timer, and can you remind me when it ends?',
  'What is fifteen percent of eighty?',
  'Help',
  'Please repeat that more slowly.'
]
const REPLY = 'Twelve times seven is eighty four.'
const FRAME = 320 // 20 ms at 16 kHz
const GOAL_MAX_QUEUE_MS = 1000

interface SimUser {
  index: number
  session: VoiceSession
  sender: PacedSender<Int16Array>
  /** 'idle' until speakAt; 'speaking' while audio is left; 'pause' counts silence frames; 'waiting' for the reply. */
  state: 'idle' | 'speaking' | 'pause' | 'waiting'
  speakAt: number
  audio: Int16Array
  pos: number
  silenceMs: number
  turn: number
  waitingSince: number
  spoken: number
}

export async function runSttSessions(opts: { sessions: number; seconds: number; log: (line: string) => void }) {
  const { sessions: count, seconds, log } = opts
  const modelsDir = await mkdtemp(join(tmpdir(), 'bench-stt-sessions-'))
  const corpus = await SpeechCorpus.create()
  const stub = await startOpenAiStub()
  stub.chat = { mode: { kind: 'ok' }, reply: REPLY }
  const results: Array<OnDeviceResult & { at: number }> = []
  const traces = new Map<string, TurnTrace>()
  const notices: string[] = []
  let runtime: VoiceRuntime | null = null
  const users: SimUser[] = []
  let timer: ReturnType<typeof setInterval> | null = null
  try {
    const model = await installStandIn(modelsDir, MOONSHINE_TINY, 'moonshine-tiny-q8')
    const utterances = await Promise.all(QUESTIONS.map(async (q) => Int16Array.from(await corpus.speak(q), (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767))))
    log(`stt sessions: ${count} voice sessions on one VoiceRuntime, on-device STT = Moonshine Tiny stand-in (${(model.parameters / 1e6).toFixed(1)} M random weights), ${seconds} s`)
    log(`  questions ${utterances.map((u) => (u.length / 16000).toFixed(1)).join(', ')} s; reply "${REPLY}" (OpenAI-compatible chat stub) spoken by espeak-ng`)
    let measuring = false
    runtime = new VoiceRuntime({
      onDeviceStt: { modelsDir, onResult: (r) => void (measuring && results.push({ ...r, at: performance.now() })) },
      logger: process.env.BENCH_DEBUG ? createPinoLogger({ level: 'debug', name: 'runtime' }) : undefined
    })
    // The model loads at the first utterance in a real backend; here before the clock starts, so the queue measured
    // is the steady one (the load is reported on its own).
    const stt = runtime.onDeviceStt!
    await stt.refresh()
    const t0 = performance.now()
    const warm = await stt.transcribe({ samples: utterances[0]!, sampleRate: 16000 }, { signal: new AbortController().signal })
    log(`  model loaded and warm in ${Math.round(performance.now() - t0)} ms (first transcription ${Math.round(warm.computeMs ?? 0)} ms)`)

    const config = { stt: [], llm: [{ kind: 'openai-compatible' as const, baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'stub', label: 'chat stub' }], tts: [] }
    const start = performance.now()
    for (let i = 0; i < count; i++) {
      let filler: (() => Int16Array | null) | null = null
      const sender = new PacedSender<Int16Array>(realClock, () => undefined, { idleFill: () => filler?.() ?? null })
      const id = `bench-${String(i).padStart(2, '0')}-session`
      const user: SimUser = { index: i, session: null as unknown as VoiceSession, sender, state: 'idle', speakAt: start + (8000 * i) / count, audio: utterances[i % utterances.length]!, pos: 0, silenceMs: 0, turn: 0, waitingSince: 0, spoken: 0 }
      const ctx: PipelineContext = {
        sessionId: id,
        reply: (pcm) => sender.enqueue(pcm),
        flushReply: () => sender.flush(),
        replyQueued: () => sender.queued,
        setReplyFiller: (fill) => void (filler = fill),
        notify: (type) => {
          if (type === 'replyEnd' && user.state === 'waiting') think(user)
        }
      }
      user.session = runtime.startSession(ctx, { config })
      user.session.on('turnTrace', (t) => traces.set(t.turnId, t))
      user.session.on('notice', (n) => notices.push(n.message))
      user.session.onClientEvent({ type: 'vadActive', clientTime: Date.now() })
      users.push(user)
    }
    function think(user: SimUser): void {
      user.state = 'idle'
      user.speakAt = performance.now() + 600 + ((user.index * 137 + user.turn * 311) % 1000)
    }
    const silence = new Int16Array(FRAME)
    measuring = true
    const end = start + seconds * 1000
    let frames = 0
    // One 20 ms tick delivers every session's due frames (as the uplink decoder would), catching up after a late tick.
    await new Promise<void>((resolve) => {
      timer = setInterval(() => {
        const now = performance.now()
        const due = Math.floor((now - start) / 20)
        for (; frames < due; frames++) {
          for (const user of users) step(user, now)
        }
        if (now >= end) resolve()
      }, 20)
    })
    function step(user: SimUser, now: number): void {
      const { session } = user
      if (user.state === 'idle' && now >= user.speakAt) {
        user.state = 'speaking'
        user.turn++
        user.audio = utterances[(user.index + user.turn) % utterances.length]!
        user.pos = 0
        session.onClientEvent({ type: 'speechStart', clientTime: Date.now(), turnId: `${user.index}-t${user.turn}` })
      }
      if (user.state === 'speaking') {
        const chunk = new Int16Array(FRAME)
        chunk.set(user.audio.subarray(user.pos, user.pos + FRAME))
        user.pos += FRAME
        session.onFrame({ pcm: chunk, sampleRate: 16_000, rtpTimestamp: 0, concealed: false, receivedAt: performance.now() })
        if (user.pos >= user.audio.length) {
          user.state = 'pause'
          user.silenceMs = 0
          user.spoken++
        }
        return
      }
      session.onFrame({ pcm: silence, sampleRate: 16_000, rtpTimestamp: 0, concealed: false, receivedAt: performance.now() })
      if (user.state === 'pause') {
        user.silenceMs += 20
        // The app's endpointer: speech_end after 160 ms of pause (speculative STT starts), end_of_utterance at 640 ms.
        if (user.silenceMs === 160) session.onClientEvent({ type: 'speechEnd', clientTime: Date.now() })
        if (user.silenceMs === 640) {
          session.onClientEvent({ type: 'endOfUtterance', clientTime: Date.now(), turnId: `${user.index}-t${user.turn}` })
          user.state = 'waiting'
          user.waitingSince = now
        }
      } else if (user.state === 'waiting' && now - user.waitingSince > 20_000) {
        think(user) // no reply came: ask again anyway
      }
    }
    if (timer) clearInterval(timer)
    timer = null
    // Let the transcriptions of what was already said finish before counting (no new speech meanwhile).
    await new Promise((r) => setTimeout(r, 3000))
    measuring = false

    const queue = results.map((r) => r.queueMs)
    const compute = results.map((r) => r.computeMs)
    const finals = [...traces.values()]
    const byStatus = (s: TurnTrace['status']): number => finals.filter((t) => t.status === s).length
    const at = (t: TurnTrace, name: string): number | undefined => t.marks.find((m) => m.name === name)?.at
    const eouToReply = finals.flatMap((t) => {
      const a = at(t, 'end_of_utterance')
      const b = at(t, 'reply_sent')
      return a !== undefined && b !== undefined ? [b - a] : []
    })
    const onDevice = finals.filter((t) => t.providers?.stt?.startsWith('on-device')).length
    const maxQueue = queue.length ? Math.max(...queue) : null
    const summary = {
      sessions: count,
      seconds,
      utterances_spoken: users.reduce((n, u) => n + u.spoken, 0),
      transcriptions: results.length,
      stt_queue_wait_ms: { p50: round(pct(queue, 50)), p95: round(pct(queue, 95)), max: maxQueue === null ? null : round(maxQueue) },
      stt_compute_ms: { p50: round(pct(compute, 50)), p95: round(pct(compute, 95)), max: compute.length ? round(Math.max(...compute)) : null },
      audio_ms_p50: round(pct(results.map((r) => r.audioMs), 50)),
      turns: { done: byStatus('done'), failed: byStatus('failed'), cancelled: byStatus('cancelled'), transcribed_on_device: onDevice },
      eou_to_first_reply_frame_ms: { p50: round(pct(eouToReply, 50)), p95: round(pct(eouToReply, 95)) },
      notices: [...new Set(notices)].slice(0, 5),
      goal_max_queue_wait_ms: GOAL_MAX_QUEUE_MS,
      goal_met: maxQueue !== null && maxQueue <= GOAL_MAX_QUEUE_MS
    }
    log(
      `  ${summary.utterances_spoken} utterances, ${results.length} transcriptions: queue wait p50 ${summary.stt_queue_wait_ms.p50} ms, p95 ${summary.stt_queue_wait_ms.p95} ms, max ${summary.stt_queue_wait_ms.max} ms (goal ≤ ${GOAL_MAX_QUEUE_MS}); stt_compute_ms p50 ${summary.stt_compute_ms.p50} p95 ${summary.stt_compute_ms.p95}`
    )
    log(`  turns done ${summary.turns.done}, failed ${summary.turns.failed}, cancelled ${summary.turns.cancelled}; end_of_utterance → first reply frame p50 ${summary.eou_to_first_reply_frame_ms.p50} ms p95 ${summary.eou_to_first_reply_frame_ms.p95} ms`)
    return summary
  } finally {
    if (timer) clearInterval(timer)
    for (const user of users) {
      user.session.close()
      user.sender.close()
    }
    await runtime?.close()
    await stub.close()
    await corpus.dispose()
    await rm(modelsDir, { recursive: true, force: true })
  }
}
