import { TALK_COMMANDS, type TalkCommand } from '../../shared/contract/talk'
import type { ListeningMode, PushToTalkInput, PushToTalkState } from '../../shared/voice/pushToTalk'

/**
 * The command-line talk trigger (`voice-assistant --toggle | --talk-start | --talk-stop | --cancel | --show`): which
 * command an argv names, and what each command feeds the push-to-talk machine. Pure: the Electron second-instance
 * handler, browser mode's startup and the talk CLI all use it.
 */

export const TALK_FLAGS: readonly string[] = TALK_COMMANDS.map((c) => `--${c}`)

export type TalkArgv = { ok: true; command: TalkCommand | null } | { ok: false; error: string }

/**
 * The talk command in an argv, or null when there is none. Not strict about other arguments: Electron hands a second
 * instance's whole command line over (the executable, the app path in development, Chromium switches), and the app's
 * own flags (--hidden, --browser, --port) sit beside these. Two talk commands at once are an error, and so is a talk
 * flag with a value ("--toggle=1"), so a typo in a desktop binding is reported rather than half-obeyed.
 */
export function parseTalkArgv(argv: readonly string[]): TalkArgv {
  const found: TalkCommand[] = []
  for (const arg of argv) {
    if (arg === '--') break
    const name = arg.split('=', 1)[0]!
    if (!TALK_FLAGS.includes(name)) continue
    if (arg !== name) return { ok: false, error: `${name} takes no value (got "${arg}")` }
    const command = name.slice(2) as TalkCommand
    if (!found.includes(command)) found.push(command)
  }
  if (found.length > 1) return { ok: false, error: `one talk command at a time, got ${found.map((c) => `--${c}`).join(' and ')}` }
  return { ok: true, command: found[0] ?? null }
}

/**
 * What a talk command feeds the push-to-talk machine (null: nothing to do, or not a machine matter: show).
 * toggle and cancel are the machine's own inputs. talk-start / talk-stop are a press and a release bound separately
 * (sway's `bindsym --release`, Hyprland's `bindr`): key-down / key-up when the machine holds, so the hold rules apply
 * (a tap shorter than minHoldMs is dropped, the grace period keeps the last word); in toggle and hands-free modes they
 * start only when not listening and stop only when listening, so a repeated start never stops talking. A talk-stop
 * after a toggle-started turn (no key is down) ends it as a second toggle would.
 */
export function talkCommandInput(command: TalkCommand, state: PushToTalkState, mode: ListeningMode, at: number): PushToTalkInput | null {
  switch (command) {
    case 'toggle':
      return { type: 'toggle', at }
    case 'cancel':
      return state.phase === 'idle' ? null : { type: 'cancel', at }
    case 'show':
      return null
    case 'talk-start':
      if (mode === 'hold') return state.phase === 'listening' && state.releaseAt === null ? null : { type: 'keyDown', at }
      return state.phase === 'listening' ? null : { type: 'toggle', at }
    case 'talk-stop':
      if (state.phase !== 'listening') return null
      if (mode === 'hold' && state.pressedAt !== null) return state.releaseAt === null ? { type: 'keyUp', at } : null
      return { type: 'toggle', at }
  }
}

/** A word for each argument that needs quoting in a shell command line (spaces, quotes, $…). */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * The command a desktop keyboard shortcut runs to toggle talking, for the Settings page and the README's bindings.
 * Packaged: the installed executable (the AppImage file when run from one). Electron in development: the Electron
 * binary with the app folder. Browser mode: the talk CLI through npm in the project folder.
 */
export function talkCliBinding(where: { mode: 'packaged'; executable: string } | { mode: 'electron-dev'; electron: string; appPath: string } | { mode: 'browser'; appRoot: string }, command: TalkCommand = 'toggle'): string {
  const flag = `--${command}`
  if (where.mode === 'packaged') return [where.executable, flag].map(shellQuote).join(' ')
  if (where.mode === 'electron-dev') return [where.electron, where.appPath, flag].map(shellQuote).join(' ')
  return ['npm', '--prefix', where.appRoot, 'run', '--silent', 'talk', '--', flag].map(shellQuote).join(' ')
}
