import { z } from 'zod'

/**
 * The talk key from outside the window: commands a desktop keyboard shortcut (or any script) sends to the running app
 * (`voice-assistant --toggle`, `npm run talk -- --toggle`), how the configured talk key reaches the app, and the run
 * file through which a command line finds a running browser-mode instance. Each crosses a process boundary (the
 * second instance's argv, the browser-mode api, a file written by one process and read by another), so each has its
 * schema here.
 */

/** toggle: start, or end and send what was heard. talk-start / talk-stop: hold-to-talk from a press and a release
 * binding. cancel: drop what is being heard. show: bring the window up. */
export const TALK_COMMANDS = ['toggle', 'talk-start', 'talk-stop', 'cancel', 'show'] as const
export const talkCommandSchema = z.enum(TALK_COMMANDS)
export type TalkCommand = z.infer<typeof talkCommandSchema>

/** What a second instance of the desktop app hands the first through the single-instance lock (Electron's
 * additionalData): the talk command of its command line, or null (it was started again: show the window). */
export const secondInstanceDataSchema = z.object({ talkCommand: talkCommandSchema.nullable() }).strict()

export const talkCommandParamsSchema = z.object({ command: talkCommandSchema }).strict()

export const talkPhaseSchema = z.enum(['idle', 'listening', 'processing'])

export const talkCommandResultSchema = z.object({
  command: talkCommandSchema,
  /** The push-to-talk phase after the command. */
  phase: talkPhaseSchema,
  /** False when the command changed nothing (e.g. talk-stop while not listening, or a press inside the debounce). */
  applied: z.boolean()
})
export type TalkCommandResult = z.infer<typeof talkCommandResultSchema>

/**
 * How the push-to-talk key reaches the app. key-hook: a global key hook (uiohook-napi; X11, Windows, macOS) with
 * key-up, so hold-to-talk works. portal: the XDG GlobalShortcuts portal (Wayland desktops that offer it), also with
 * release. global-shortcut: Electron's globalShortcut, presses only (toggle). none: no key here; the command-line
 * trigger bound in the desktop's keyboard settings is the way.
 */
export const talkKeySourceSchema = z.enum(['key-hook', 'portal', 'global-shortcut', 'none'])
export type TalkKeySource = z.infer<typeof talkKeySourceSchema>

export const talkKeyStatusSchema = z.object({
  source: talkKeySourceSchema,
  /** What a press does with that source: hold (key-down starts, key-up ends), toggle, or hands-free's toggle. */
  mode: z.enum(['hold', 'toggle', 'hands-free']),
  /** The configured chord, null when none is bound. */
  accelerator: z.string().nullable(),
  /** One sentence for the Settings page: the mechanism in use, or which fallback and why. */
  detail: z.string(),
  /** The command to bind to a key in the desktop's keyboard settings (toggle); works on every desktop. */
  cliBinding: z.string()
})
export type TalkKeyStatus = z.infer<typeof talkKeyStatusSchema>

/**
 * The browser-mode run file: where the running services listen and the per-run api token. Written with mode 0600 in
 * a per-user folder; whoever can read it can drive the app, exactly like whoever can read the printed URL.
 */
export const runFileSchema = z
  .object({
    version: z.literal(1),
    pid: z.number().int().positive(),
    port: z.number().int().min(1).max(65535),
    token: z.string().min(16).max(128).regex(/^[A-Za-z0-9_-]+$/),
    startedAt: z.number().int().nonnegative()
  })
  .strict()
export type RunFile = z.infer<typeof runFileSchema>
