import { describe, expect, it } from 'vitest'
import { UtteranceAudio } from '../../../../src/server/voice/utteranceAudio'

/** 20 ms at 16 kHz, every sample = n (so a test can tell which frame a sample is from). */
const frame = (n: number): Int16Array => new Int16Array(320).fill(n)

describe('UtteranceAudio', () => {
  it('keeps only a 400 ms pre-roll while nobody speaks; an utterance starts with it and grows', () => {
    const audio = new UtteranceAudio(() => false)
    for (let i = 1; i <= 100; i++) audio.append(frame(i)) // 2 s
    expect(audio.soFar()).toBeNull()
    audio.open()
    for (let i = 101; i <= 110; i++) audio.append(frame(i))
    const so = audio.soFar()!
    expect(so.length).toBe(6400 + 3200)
    expect(so[0]).toBe(81) // 400 ms = 20 frames before the start
    expect(so.at(-1)).toBe(110)
    const closed = audio.close(false)
    expect(closed).toEqual(so)
    expect(audio.soFar()).toBeNull()
  })

  it('an early commit keeps its audio while the detector says it may be revoked; reopen continues the utterance', () => {
    let revocable = true
    const audio = new UtteranceAudio(() => revocable)
    for (let i = 1; i <= 50; i++) audio.append(frame(i))
    audio.open()
    for (let i = 51; i <= 60; i++) audio.append(frame(i))
    audio.close(true)
    for (let i = 61; i <= 150; i++) audio.append(frame(i)) // 1.8 s later: far beyond the pre-roll
    audio.reopen()
    const all = audio.soFar()!
    expect(all[0]).toBe(31) // from the first start's pre-roll
    expect(all.at(-1)).toBe(150)
    audio.close(true)
    revocable = false // the detector closed the early commit: its audio need not be kept (the ring may reuse it)
    for (let i = 151; i <= 600; i++) audio.append(frame(i)) // 9 s: more than the ring grew to
    audio.reopen()
    expect(audio.soFar()![0]).toBeGreaterThan(150)
  })

  it('discard forgets the open utterance', () => {
    const audio = new UtteranceAudio(() => false)
    audio.open()
    audio.append(frame(1))
    audio.discard()
    expect(audio.soFar()).toBeNull()
    expect(audio.close(false)).toHaveLength(0)
  })
})
