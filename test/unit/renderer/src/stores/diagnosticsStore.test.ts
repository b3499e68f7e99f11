import { describe, expect, it } from 'vitest'
import { COPIED_SHOWN_MS, createDiagnosticsStore, windowTurns, type DiagnosticsPorts } from '../../../../../src/renderer/src/stores/diagnosticsStore'
import type { TurnTrace } from '../../../../../src/shared/latency/trace'

function rig(opts: { copiedByApp?: boolean; clipboardRefuses?: boolean; requestFails?: boolean } = {}) {
  const written: string[] = []
  const timers: Array<{ run: () => void; ms: number }> = []
  const requests: unknown[] = []
  const ports: DiagnosticsPorts = {
    request: async (params) => {
      requests.push(params)
      if (opts.requestFails) throw new Error('storage_error')
      return { text: 'DIAG TEXT', copied: opts.copiedByApp ?? false }
    },
    writeClipboard: async (text) => {
      if (opts.clipboardRefuses) throw new Error('NotAllowedError')
      written.push(text)
    },
    windowInfo: () => ({ turns: [], userAgent: 'UA' }),
    setTimer: (run, ms) => void timers.push({ run, ms })
  }
  return { store: createDiagnosticsStore(ports), written, timers, requests }
}

describe('diagnostics store (Copy diagnostics)', () => {
  it('browser mode: the page copies the services\' text; "Copied" shows, then goes', async () => {
    const { store, written, timers, requests } = rig()
    await store.getState().copy()
    expect(requests).toEqual([{ turns: [], userAgent: 'UA' }])
    expect(written).toEqual(['DIAG TEXT'])
    expect(store.getState().phase).toBe('copied')
    expect(timers.map((t) => t.ms)).toEqual([COPIED_SHOWN_MS])
    timers[0]!.run()
    expect(store.getState().phase).toBe('idle')
  })

  it('desktop app: the services copied it already; the page writes nothing', async () => {
    const { store, written } = rig({ copiedByApp: true })
    await store.getState().copy()
    expect(written).toEqual([])
    expect(store.getState().phase).toBe('copied')
  })

  it('a refused clipboard shows the text to copy by hand', async () => {
    const { store } = rig({ clipboardRefuses: true })
    await store.getState().copy()
    expect(store.getState()).toMatchObject({ phase: 'manual', text: 'DIAG TEXT' })
    store.getState().dismiss()
    expect(store.getState()).toMatchObject({ phase: 'idle', text: null })
  })

  it('a failed request says why', async () => {
    const { store } = rig({ requestFails: true })
    await store.getState().copy()
    expect(store.getState()).toMatchObject({ phase: 'error', error: 'Could not make the diagnostics: storage_error' })
  })

  it('a later copy is not cut short by the earlier one\'s timer', async () => {
    const { store, timers } = rig()
    await store.getState().copy()
    await store.getState().copy()
    timers[0]!.run()
    expect(store.getState().phase).toBe('copied')
    timers[1]!.run()
    expect(store.getState().phase).toBe('idle')
  })
})

describe('windowTurns', () => {
  it('sends the last 20 turns, each with the offset that moves the window\'s marks to the services\' clock', () => {
    const turns: TurnTrace[] = Array.from({ length: 25 }, (_, i) => ({ turnId: `t${i}`, status: 'done', marks: [], clockOffsets: { backend: -7 } }))
    const sent = windowTurns(turns, { offsetMs: 12, rttMs: 1, errorBoundMs: 0.5 } as never)
    expect(sent).toHaveLength(20)
    expect(sent[0]).toMatchObject({ turnId: 't5', clockOffsets: { backend: -7, renderer: 12 } })
    expect(windowTurns(turns, null)[0]!.clockOffsets).toEqual({ backend: -7 })
  })
})
