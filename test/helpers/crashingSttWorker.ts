/**
 * The real STT worker (src/node/stt/sttWorker.ts) that can be made to die, for SttService's crash tests: a request
 * whose model folder is CRASH_BY_THROWING throws an uncaught error in the thread (as a bug in the engine would), one
 * whose folder is CRASH_BY_EXITING ends the thread (as an out-of-memory or a kernel fault that kills it would), before
 * the real worker gets anywhere with them. A real model folder holding a file named CRASH_MARKER ends the thread too
 * (for tests that go through the models folder, where the folder's path is not theirs to choose).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parentPort } from 'node:worker_threads'

export const CRASH_BY_THROWING = '/crash/throw'
export const CRASH_BY_EXITING = '/crash/exit'
export const CRASH_MARKER = 'CRASH'

// Imported by the tests for the constants above: only a worker thread loads the worker and the crash switches. The
// real worker's listener goes first: messages that arrive while no listener is attached wait for the first one, so
// attaching ours first would deliver early requests before the real worker is listening, and they would be lost.
if (parentPort) {
  const port = parentPort
  await import('../../src/node/stt/sttWorker')
  port.on('message', (m: { modelDir?: string }) => {
    if (m?.modelDir === CRASH_BY_THROWING) throw new Error('simulated engine fault')
    if (m?.modelDir === CRASH_BY_EXITING) process.exit(70)
    if (typeof m?.modelDir === 'string' && existsSync(join(m.modelDir, CRASH_MARKER))) process.exit(71)
  })
}
