import type { VoiceApi } from '../../../shared/contract/api'
import { voiceApiFromRaw, type RawVoiceApi } from '../../../shared/rawApi'
import { apiSocketUrlFromLocation, createWsRawApi, type ConnectionState } from './wsRawApi'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    voiceApi?: RawVoiceApi
  }
}

export type ApiTransport = { kind: 'electron' } | { kind: 'browser'; url: string } | { kind: 'none'; reason: string }

/** Pick the transport for this page: the preload bridge in Electron, the token WebSocket in browser mode. */
export function detectTransport(win: Window): ApiTransport {
  if (win.voiceApi) return { kind: 'electron' }
  const url = apiSocketUrlFromLocation(win.location)
  if (url) return { kind: 'browser', url }
  return { kind: 'none', reason: 'This page was opened without its access token. Open the full URL printed by `npm start`.' }
}

export function createApi(win: Window, onState: (state: ConnectionState, detail?: string) => void): VoiceApi | null {
  const transport = detectTransport(win)
  if (transport.kind === 'electron') {
    onState('open')
    return voiceApiFromRaw(win.voiceApi!)
  }
  if (transport.kind === 'browser') return voiceApiFromRaw(createWsRawApi(transport.url, onState))
  return null
}
