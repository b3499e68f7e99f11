import { describe, expect, it } from 'vitest'
import type { TalkCommand } from '../../../../../src/shared/contract/talk'
import { createTalkStore, INITIAL_TALK_INPUT, keyTargetOf, TAP_MS, talkInputStep, talkKeyIntent, type KeyLike, type TalkInput, type TalkInputState } from '../../../../../src/renderer/src/stores/talkStore'

/** Feed inputs in order; the commands sent. */
function run(inputs: TalkInput[]): { state: TalkInputState; commands: TalkCommand[] } {
  let state = INITIAL_TALK_INPUT
  const commands: TalkCommand[] = []
  for (const input of inputs) {
    const step = talkInputStep(state, input)
    state = step.state
    commands.push(...step.commands)
  }
  return { state, commands }
}

describe('talk button input (pure)', () => {
  it('held: talk-start on press, talk-stop on release; repeats while held send nothing', () => {
    expect(run([{ type: 'press', at: 0 }, { type: 'press', at: 30 }, { type: 'press', at: 60 }, { type: 'release', at: 900 }]).commands).toEqual(['talk-start', 'talk-stop'])
  })
  it('a click (shorter than TAP_MS) latches listening on; the next click ends it', () => {
    const click = run([{ type: 'press', at: 0 }, { type: 'release', at: TAP_MS - 50 }])
    expect(click).toEqual({ state: { held: false, heldSince: 0, latched: true, pressToggled: false }, commands: ['talk-start'] })
    const second = run([{ type: 'press', at: 0 }, { type: 'release', at: 100 }, { type: 'press', at: 3000 }, { type: 'release', at: 3080 }])
    expect(second.commands).toEqual(['talk-start', 'talk-start', 'talk-stop'])
    expect(second.state.latched).toBe(false)
  })
  it('Enter toggles and clears a latch; a turn ended elsewhere clears it too', () => {
    expect(run([{ type: 'press', at: 0 }, { type: 'release', at: 10 }, { type: 'toggle' }])).toMatchObject({ commands: ['talk-start', 'toggle'], state: { latched: false } })
    expect(run([{ type: 'press', at: 0 }, { type: 'release', at: 10 }, { type: 'listeningEnded' }, { type: 'press', at: 5000 }, { type: 'release', at: 5050 }]).commands).toEqual(['talk-start', 'talk-start'])
  })
  it('cancel drops what is heard; the key still held sends nothing when released', () => {
    expect(run([{ type: 'press', at: 0 }, { type: 'cancel' }, { type: 'release', at: 900 }]).commands).toEqual(['talk-start', 'cancel'])
  })
  it('hands-free: a press toggles (the first one after connecting stops listening), its release and repeats send nothing', () => {
    const press = (at: number): TalkInput => ({ type: 'press', at, handsFree: true })
    const clicks = run([press(0), { type: 'release', at: 80 }, press(3000), press(3030), { type: 'release', at: 3900 }])
    expect(clicks).toEqual({ state: { held: false, heldSince: 3000, latched: false, pressToggled: false }, commands: ['toggle', 'toggle'] })
  })
  it('a release without a press sends nothing', () => {
    expect(run([{ type: 'release', at: 0 }]).commands).toEqual([])
  })
})

const key = (type: KeyLike['type'], k: string, extra: Partial<KeyLike> = {}): KeyLike => ({ type, key: k, repeat: false, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...extra })

describe('talk keys', () => {
  it('Space held = hold to talk (auto-repeat ignored, scrolling prevented); Enter toggles', () => {
    expect(talkKeyIntent(key('keydown', ' '), 'talk-button')).toEqual({ input: 'press', prevent: true })
    expect(talkKeyIntent(key('keydown', ' ', { repeat: true }), 'talk-button')).toEqual({ input: null, prevent: true })
    expect(talkKeyIntent(key('keyup', ' '), 'page')).toEqual({ input: 'release', prevent: true })
    expect(talkKeyIntent(key('keydown', 'Enter'), 'page')).toEqual({ input: 'toggle', prevent: true })
    expect(talkKeyIntent(key('keydown', 'Enter', { repeat: true }), 'talk-button')).toEqual({ input: null, prevent: true })
  })
  it('never while typing, on another control, or with a modifier (the user\'s own shortcuts)', () => {
    expect(talkKeyIntent(key('keydown', ' '), 'editable').input).toBeNull()
    expect(talkKeyIntent(key('keydown', 'Enter'), 'control').input).toBeNull()
    expect(talkKeyIntent(key('keydown', ' ', { ctrlKey: true }), 'page').input).toBeNull()
    expect(talkKeyIntent(key('keydown', 'a'), 'talk-button')).toEqual({ input: null, prevent: false })
  })
  it('Escape cancels only while listening (it stays free otherwise)', () => {
    expect(talkKeyIntent(key('keydown', 'Escape'), 'page', true)).toEqual({ input: 'cancel', prevent: true })
    expect(talkKeyIntent(key('keydown', 'Escape'), 'page', false)).toEqual({ input: null, prevent: false })
  })
})

describe('keyTargetOf', () => {
  it('tells the talk button, the page, text fields and other controls apart', () => {
    expect(keyTargetOf(null)).toBe('page')
    expect(keyTargetOf({ tagName: 'BODY' })).toBe('page')
    expect(keyTargetOf({ tagName: 'BUTTON', dataset: { talkButton: '' } })).toBe('talk-button')
    expect(keyTargetOf({ tagName: 'INPUT', dataset: {} })).toBe('editable')
    expect(keyTargetOf({ tagName: 'DIV', isContentEditable: true })).toBe('editable')
    expect(keyTargetOf({ tagName: 'BUTTON', dataset: {} })).toBe('control')
  })
})

describe('talk store', () => {
  it('sends the commands to the push-to-talk machine; a refusal is shown, the next success clears it', async () => {
    const sent: TalkCommand[] = []
    let fail = false
    let now = 0
    let handsFree = false
    const store = createTalkStore({
      send: async (command) => {
        sent.push(command)
        if (fail) throw new Error('the talk key is not set up in this process')
        return { command, phase: 'listening', applied: true }
      },
      now: () => now,
      handsFree: () => handsFree
    })
    store.getState().press()
    now = 1000
    store.getState().release()
    await Promise.resolve()
    expect(sent).toEqual(['talk-start', 'talk-stop'])
    fail = true
    store.getState().toggle()
    await new Promise((r) => setTimeout(r, 0))
    expect(store.getState().error).toBe('The talk button could not start listening: the talk key is not set up in this process')
    fail = false
    store.getState().toggle()
    await new Promise((r) => setTimeout(r, 0))
    expect(store.getState().error).toBeNull()
    handsFree = true
    store.getState().press()
    store.getState().release()
    await new Promise((r) => setTimeout(r, 0))
    expect(sent.slice(-1)).toEqual(['toggle'])
  })
})
