import type { VoiceApi } from '../../../shared/contract/api'
import type { SessionNotification } from '../../../shared/contract/signaling'
import type { VadEvent } from '../../../shared/contract/voice'
import { blockRms } from '../../../shared/voice/audioLevel'
import { REPLY_AUDIBLE_RMS } from '../stores/assistantActivity'
import { useTurnStore } from '../stores/turnStore'
import type { ConversationConnection } from './conversationConnection'

/**
 * The renderer's part of the voice loop:
 *  - the app's local VAD events (main process) go to the backend session as clientEvents, so the backend need not
 *    wait for its own VAD: speech_start / speech_end (early, speculative STT) / speech_resume / end_of_utterance;
 *  - the client-side marks of each turn: speech_end_mic (the VAD's speech end, moved from the capture stream's
 *    position onto the renderer clock), downlink_arrival and playout (the first reply sample heard in the page, found
 *    by a level detector on the reply stream; the jitter buffer's delay from WebRTC getStats is subtracted for the
 *    arrival);
 *  - a client-side barge-in meter: mic onset during an audible reply → the reply going silent.
 */

export interface BargeInMeasurement {
  /** Renderer clock (Date.now()). */
  micOnsetAt: number
  replyStoppedAt: number
  latencyMs: number
}

export interface VoiceTurnsDebug {
  /** Playout marks stamped, per turn. */
  playouts: Array<{ turnId: string; at: number; jitterBufferMs: number | null }>
  bargeIns: BargeInMeasurement[]
  notifications: Array<SessionNotification & { receivedAt: number }>
  /** Time the reply was audible in total (ms). */
  replyAudibleMs: number
  clientEvents: Array<{ type: string; turnId?: string; at: number }>
  /** The reply stream's inbound-rtp stats, sampled once a second (the last 120): how the jitter buffer behaves. */
  replyStats: Array<Record<string, number>>
}

export interface VoiceTurns {
  readonly debug: VoiceTurnsDebug
  onNotification(note: SessionNotification): void
  stop(): void
}

const MIC_ONSET_RMS = 0.02
const POLL_MS = 4
/** A reply silent this long is between words (audible-time accounting). */
const REPLY_STOP_MS = 60
/**
 * Barge-in: a mic onset counts while the reply is playing — audible now or within this (a pause between sentences);
 * the reply has stopped for it once it stays silent this long (longer than a sentence gap; its stop time is the last
 * audible moment, which can precede the onset when the pause landed in a gap: 0 ms then).
 */
const BARGE_IN_REPLY_GAP_MS = 500
/**
 * After a cancelled or revoked reply, the frames of it still in flight and in the jitter buffer stay silenced this
 * long (the reply stream carries silence after them).
 */
const CANCELLED_REPLY_DRAIN_MS = 400

export function startVoiceTurns(opts: { api: VoiceApi; conn: ConversationConnection; micTrack: MediaStreamTrack | null }): VoiceTurns {
  const { api, conn } = opts
  const store = useTurnStore.getState()
  store.init(api)
  const prefix = `r${Date.now().toString(36)}`
  const turnIds = new Map<number, string>()
  const debug: VoiceTurnsDebug = { playouts: [], bargeIns: [], notifications: [], replyAudibleMs: 0, clientEvents: [], replyStats: [] }

  const send = (type: 'speechStart' | 'speechEnd' | 'speechResume' | 'endOfUtterance' | 'vadActive', turnId?: string, reason?: 'silence' | 'max_length' | 'flush'): void => {
    debug.clientEvents.push({ type, turnId, at: Date.now() })
    const signaling = conn.signalingClient
    if (!signaling) return
    void signaling.request('clientEvent', { type, clientTime: Date.now(), turnId, reason }, 3000).catch(() => undefined)
  }

  /** A capture-stream position of the VAD event → the renderer clock (main's wall time − how far back it was). */
  const micTime = (event: VadEvent, streamMs: number): number => {
    const mainOffset = useTurnStore.getState().mainOffset
    const mainAt = event.wallTime - (event.atMs - streamMs)
    return mainOffset ? mainAt - mainOffset.offsetMs : mainAt - (event.wallTime - Date.now())
  }

  // This client's VAD leads turn detection; the backend's VAD becomes the backstop.
  send('vadActive')
  const offVad = api.on('vadEvent', (event) => {
    const turnId = turnIds.get(event.utteranceId) ?? `${prefix}-u${event.utteranceId}`
    turnIds.set(event.utteranceId, turnId)
    switch (event.type) {
      case 'speech_start':
        send('speechStart', turnId)
        break
      case 'speech_end':
        useTurnStore.getState().addClientMark(turnId, 'speech_end_mic', micTime(event, event.endMs), { replace: true })
        send('speechEnd', turnId)
        break
      case 'speech_resume':
        send('speechResume', turnId)
        break
      case 'end_of_utterance':
        useTurnStore.getState().addClientMark(turnId, 'speech_end_mic', micTime(event, event.endMs), { replace: true })
        // The reason tells a push-to-talk release (flush: commit at once) from a pause the turn policy may hold.
        send('endOfUtterance', turnId, event.reason)
        turnIds.delete(event.utteranceId)
        break
    }
  })

  // --- level meters on the reply and the mic
  const ctx = new AudioContext({ latencyHint: 'interactive' })
  const meter = (stream: MediaStream): AnalyserNode => {
    const analyser = ctx.createAnalyser()
    analyser.fftSize = 256
    ctx.createMediaStreamSource(stream).connect(analyser)
    return analyser
  }
  const replyMeter = meter(conn.replyStream)
  const micMeter = opts.micTrack ? meter(new MediaStream([opts.micTrack])) : null
  const buf = new Float32Array(256)
  const rms = (a: AnalyserNode): number => {
    a.getFloatTimeDomainData(buf)
    return blockRms(buf)
  }

  let armedTurn: string | null = null
  let replyAudible = false
  let lastReplyAudibleAt = 0
  let audibleSince = 0
  let micActive = false
  let micQuietSince = Date.now()
  let micOnsetDuringReply: number | null = null
  let lastJitter: { delay: number; count: number } | null = null

  /** The reply's inbound-rtp audio stats entries (WebRTC getStats); none while there is no reply transport. */
  const replyInboundStats = async (): Promise<Array<Record<string, unknown>>> => {
    const report = await conn.replyStats().catch(() => null)
    const found: Array<Record<string, unknown>> = []
    report?.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') found.push(s)
    })
    return found
  }

  const jitterBufferMs = async (): Promise<number | null> => {
    let result: number | null = null
    for (const s of await replyInboundStats()) {
      const delay = s.jitterBufferDelay
      const count = s.jitterBufferEmittedCount
      if (typeof delay !== 'number' || typeof count !== 'number' || !count) continue
      const prev = lastJitter
      lastJitter = { delay, count }
      const dDelay = prev ? delay - prev.delay : delay
      const dCount = prev ? count - prev.count : count
      result = dCount > 0 ? (dDelay / dCount) * 1000 : null
    }
    return result
  }

  const statsTimer = setInterval(() => {
    void replyInboundStats().then((entries) => {
      for (const s of entries) {
        const pick: Record<string, number> = { at: Date.now() }
        for (const k of ['packetsReceived', 'packetsLost', 'jitter', 'jitterBufferDelay', 'jitterBufferTargetDelay', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount', 'concealedSamples', 'insertedSamplesForDeceleration', 'removedSamplesForAcceleration', 'totalSamplesReceived']) {
          if (typeof s[k] === 'number') pick[k] = s[k] as number
        }
        debug.replyStats.push(pick)
        if (debug.replyStats.length > 120) debug.replyStats.shift()
      }
    })
  }, 1000)

  const poll = setInterval(() => {
    const now = Date.now()
    const level = rms(replyMeter)
    if (level >= REPLY_AUDIBLE_RMS) {
      if (!replyAudible) audibleSince = now
      // The reply's audio can arrive before its replyStart notification: then playout is when it became audible.
      if (armedTurn && (!replyAudible || now - audibleSince < 500)) {
        const turnId = armedTurn
        armedTurn = null
        const playoutAt = audibleSince
        useTurnStore.getState().addClientMark(turnId, 'playout', playoutAt)
        void jitterBufferMs().then((jb) => {
          debug.playouts.push({ turnId, at: playoutAt, jitterBufferMs: jb })
          // Only if this playout still stands (a revoked early reply's playout is removed meanwhile).
          const stands = useTurnStore.getState().turns.some((t) => t.turnId === turnId && t.marks.some((m) => m.name === 'playout' && m.at === playoutAt))
          if (jb !== null && stands) useTurnStore.getState().addClientMark(turnId, 'downlink_arrival', playoutAt - jb)
        })
      }
      if (replyAudible) debug.replyAudibleMs += now - lastReplyAudibleAt
      replyAudible = true
      lastReplyAudibleAt = now
    } else if (replyAudible && now - lastReplyAudibleAt >= REPLY_STOP_MS) {
      replyAudible = false
    }
    if (micOnsetDuringReply !== null && !replyAudible && now - lastReplyAudibleAt >= BARGE_IN_REPLY_GAP_MS) {
      debug.bargeIns.push({ micOnsetAt: micOnsetDuringReply, replyStoppedAt: lastReplyAudibleAt, latencyMs: Math.max(0, lastReplyAudibleAt - micOnsetDuringReply) })
      micOnsetDuringReply = null
    }
    if (micMeter) {
      const mic = rms(micMeter)
      if (mic >= MIC_ONSET_RMS) {
        const replyPlaying = replyAudible || (lastReplyAudibleAt > 0 && now - lastReplyAudibleAt < BARGE_IN_REPLY_GAP_MS)
        if (!micActive && now - micQuietSince >= 300 && replyPlaying && micOnsetDuringReply === null) micOnsetDuringReply = now
        micActive = true
      } else if (micActive) {
        micActive = false
        micQuietSince = now
      }
    }
  }, POLL_MS)

  // Barge-in, here: the reply goes quiet the moment the backend pauses it, not after the frames already in flight and
  // in the jitter buffer have played (~100–200 ms); the backend replays those if it resumes (ReplyPlayer rewind).
  let unmuteTimer: ReturnType<typeof setTimeout> | null = null
  const setReplyAudible = (audible: boolean, afterMs = 0): void => {
    if (unmuteTimer !== null) clearTimeout(unmuteTimer)
    unmuteTimer = null
    const apply = (on: boolean): void => {
      for (const t of conn.replyStream.getAudioTracks()) t.enabled = on
    }
    if (audible && afterMs > 0) {
      apply(false)
      unmuteTimer = setTimeout(() => apply(true), afterMs)
    } else apply(audible)
  }

  return {
    debug,
    onNotification(note) {
      debug.notifications.push({ ...note, receivedAt: Date.now() })
      if (note.type === 'replyPaused') setReplyAudible(false)
      else if (note.type === 'replyResumed' || note.type === 'replyStart') setReplyAudible(true)
      else if (note.type === 'replyCancelled' || note.type === 'replyRevoked') setReplyAudible(true, CANCELLED_REPLY_DRAIN_MS)
      if (note.type === 'replyStart' && typeof note.detail?.turnId === 'string') {
        armedTurn = note.detail.turnId
        void jitterBufferMs() // baseline for the delta at playout
      }
      if (note.type === 'replyRevoked' && typeof note.detail?.turnId === 'string') {
        // The early reply is gone; the turn's playout is the one of the reply that follows.
        if (armedTurn === note.detail.turnId) armedTurn = null
        useTurnStore.getState().removeClientMarks(note.detail.turnId, ['playout', 'downlink_arrival'])
      }
    },
    stop() {
      offVad()
      if (unmuteTimer !== null) clearTimeout(unmuteTimer)
      clearInterval(poll)
      clearInterval(statsTimer)
      void ctx.close()
    }
  }
}
