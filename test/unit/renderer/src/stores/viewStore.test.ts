import { describe, expect, it } from 'vitest'
import { createViewStore, viewFromHash } from '../../../../../src/renderer/src/stores/viewStore'

describe('view store', () => {
  it('reads the view from the hash (a reload stays where it was) and writes it back', () => {
    expect(viewFromHash('#diagnostics')).toBe('diagnostics')
    expect(viewFromHash('')).toBe('conversation')
    expect(viewFromHash('#status-pill')).toBe('conversation')
    const written: string[] = []
    const store = createViewStore({ hash: '#diagnostics' }, (h) => written.push(h))
    expect(store.getState().view).toBe('diagnostics')
    store.getState().setView('conversation')
    store.getState().setView('diagnostics')
    expect(written).toEqual(['', '#diagnostics'])
    expect(store.getState().view).toBe('diagnostics')
  })
})
