import { describe, expect, it } from 'vitest'
import { forwardWindowErrors, rendererErrorFrom } from '../../../../../src/renderer/src/api/forwardErrors'
import type { RendererError } from '../../../../../src/shared/contract/api'
import { rendererErrorSchema } from '../../../../../src/shared/contract/api'

/** A window `error` event as the browser makes it (ErrorEvent is not in Node: an Event with its fields). */
function errorEvent(fields: { message?: string; error?: unknown; filename?: string; lineno?: number; colno?: number }): Event {
  return Object.assign(new Event('error'), fields)
}

function rejection(reason: unknown): Event {
  return Object.assign(new Event('unhandledrejection'), { reason })
}

describe('rendererErrorFrom', () => {
  it('an error event: its message, the error stack and where it was thrown', () => {
    const error = new TypeError('x is undefined')
    const report = rendererErrorFrom(errorEvent({ message: 'Uncaught TypeError: x is undefined', error, filename: 'app://bundle/assets/index.js', lineno: 12, colno: 7 }))
    expect(report).toEqual({ kind: 'error', message: 'Uncaught TypeError: x is undefined', stack: error.stack, source: 'app://bundle/assets/index.js:12:7' })
  })

  it('an unhandled rejection: an Error as name and message with its stack, anything else as text', () => {
    const error = new RangeError('too far')
    expect(rendererErrorFrom(rejection(error))).toEqual({ kind: 'unhandledrejection', message: 'RangeError: too far', stack: error.stack })
    expect(rendererErrorFrom(rejection('plain'))).toEqual({ kind: 'unhandledrejection', message: 'plain' })
    expect(rendererErrorFrom(errorEvent({}))).toEqual({ kind: 'error', message: 'unknown error' })
  })

  it('cuts what is longer than the contract takes, so a huge error is still reported', () => {
    const report = rendererErrorFrom(errorEvent({ message: 'm'.repeat(10_000), error: Object.assign(new Error('e'), { stack: 's'.repeat(20_000) }), filename: 'f'.repeat(1000) }))
    expect(rendererErrorSchema.safeParse(report).success).toBe(true)
  })
})

describe('forwardWindowErrors', () => {
  it('reports window errors and unhandled rejections until stopped; a failed report is dropped quietly', async () => {
    const win = new EventTarget()
    const sent: RendererError[] = []
    let fail = false
    const stop = forwardWindowErrors(win as unknown as Window, {
      reportRendererError: async (report) => {
        sent.push(report)
        if (fail) throw new Error('api down')
        return { logged: true }
      }
    })
    win.dispatchEvent(errorEvent({ message: 'boom' }))
    fail = true
    win.dispatchEvent(rejection(new Error('nope')))
    await new Promise((r) => setTimeout(r, 0))
    stop()
    win.dispatchEvent(errorEvent({ message: 'after stop' }))
    expect(sent.map((r) => [r.kind, r.message])).toEqual([
      ['error', 'boom'],
      ['unhandledrejection', 'Error: nope']
    ])
  })
})
