/**
 * Time for code that schedules work: a monotonic `now()` and timers. Everything that paces or polls (the reply
 * sender's 20 ms frame clock, the reply player's poll, the batched server VAD's 32 ms tick, the voice sessions'
 * shared 20 ms turn tick, the TTS pool's staggered starts) takes one of these, so its tests drive it with a fake
 * clock (test/helpers/fakeClock.ts) instead of sleeping. Wall-clock time for trace marks (Date.now) is another
 * thing and is not part of it.
 */
export interface Clock {
  /** Monotonic milliseconds (performance.now() for the real clock); only differences mean anything. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  setInterval(fn: () => void, ms: number): TimerHandle
  clearInterval(handle: TimerHandle): void
}

/** What a Clock's timer functions return: only good for handing back to the same clock's clear function. */
export type TimerHandle = unknown

type NativeTimer = ReturnType<typeof setTimeout>

/** The process's own clock: performance.now() and the global timers. */
export const realClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as NativeTimer),
  setInterval: (fn: () => void, ms: number): TimerHandle => setInterval(fn, ms),
  clearInterval: (handle: TimerHandle) => clearInterval(handle as NativeTimer)
})
