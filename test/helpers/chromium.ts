import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags that make headless Chromium quiet and usable as root on a machine without a network. */
export const BASE_CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
  // Host candidates as plain addresses: an mDNS candidate name (what a page without media permission gets) is
  // resolved by multicast on every interface, and tests must send nothing off this machine.
  '--disable-features=WebRtcHideLocalIpsWithMdns'
]

export function chromiumMissingReason(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`
}

/** Launch Chromium; with `fakeMicWav` the page's microphone plays that WAV (looped) and permission is auto-granted. */
export async function launchChromium(opts: { fakeMicWav?: string; extraArgs?: string[] } = {}): Promise<Browser> {
  const args = [...BASE_CHROMIUM_ARGS, ...(opts.extraArgs ?? [])]
  if (opts.fakeMicWav) {
    args.push('--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${opts.fakeMicWav}`, '--use-fake-ui-for-media-stream')
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args, headless: true })
}
