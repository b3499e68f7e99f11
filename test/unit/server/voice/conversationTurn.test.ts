import { describe, expect, it } from 'vitest'
import { trimLeadingSilence } from '../../../../src/server/voice/conversationTurn'

/* The turn itself (STT → LLM → TTS, cancel, failover) is driven through VoiceLoop.startTurn in voiceLoop.test.ts. */

describe('trimLeadingSilence (the reply starts with its first audible sample)', () => {
  const rate = 22_050
  it('drops the leading silence, keeping 5 ms before the onset', () => {
    const pcm = new Int16Array(2000)
    pcm.fill(3000, 1000)
    const out = trimLeadingSilence(pcm, rate)
    expect(out.length).toBe(1000 + Math.round(0.005 * rate))
    expect(out.at(-1)).toBe(3000)
  })
  it('a chunk of pure silence is dropped whole, until 300 ms were dropped; a quiet reply is then left as it is', () => {
    const quiet = new Int16Array(4096).fill(20)
    expect(trimLeadingSilence(quiet, rate, 0)).toHaveLength(0)
    const cap = Math.round(0.3 * rate)
    expect(trimLeadingSilence(quiet, rate, cap - 100)).toHaveLength(4096 - 100)
    expect(trimLeadingSilence(quiet, rate, cap)).toHaveLength(4096)
  })
  it('audio that starts loud is untouched', () => {
    const pcm = new Int16Array(500).fill(-2000)
    expect(trimLeadingSilence(pcm, rate)).toHaveLength(500)
  })
})
