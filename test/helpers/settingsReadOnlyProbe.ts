import { AppCore } from '../../src/main/services/appCore'

/**
 * Child process for test/unit/main/services/settingsStore.readOnly.test.ts: starts an AppCore (no backend) on the
 * read-only settings folder given as argv[2], tries to save a change, and prints one JSON line with what happened.
 */
const userDataDir = process.argv[2]!
const core = new AppCore({
  appInfo: { name: 'Voice Assistant', version: '0', mode: 'browser', platform: 'linux', modeReason: null },
  userDataDir,
  backendCommand: { command: 'none', args: [] },
  wsFactory: () => {
    throw new Error('no backend in this probe')
  },
  autoStartBackend: false
})
await core.start()
const notices = core.drainNotices().map((n) => n.message)
const theme = core.settings.get().ui.theme
const update = await core.dispatch('updateSettings', { ui: { theme: theme === 'dark' ? 'light' : 'dark' } })
process.stdout.write(JSON.stringify({ notices, settings: core.settings.get(), update }) + '\n')
await core.stop()
process.exit(0)
