import type React from 'react'
import { useEffect } from 'react'
import { useAppStore } from '../stores/appStore'
import { useAssistantStore } from '../stores/assistantStore'
import { useConversationStore } from '../stores/conversationStore'
import { useHistoryStore } from '../stores/historyStore'
import { keyTargetOf, talkKeyIntent, useTalkStore } from '../stores/talkStore'
import { AssistantStage } from './AssistantStage'
import { Composer } from './Composer'
import { Dialog } from './Dialog'
import { HistoryList } from './HistoryList'
import { LatencyOverlay, TurnDetail } from './LatencyOverlay'
import { SttSetup } from './SttSetup'

/**
 * The main view: the first-run setup when speech recognition is missing, the assistant's state with the talk button,
 * the conversation so far and the text box; the latency overlay beside it while it is on.
 */
export function ConversationView(): React.JSX.Element {
  const overlayOn = useAppStore((s) => s.settings?.ui.showLatencyOverlay ?? true)
  useTalkKeys()
  return (
    <main className={`conversation-view ${overlayOn ? 'with-overlay' : ''}`} data-testid="conversation-view">
      <div className="conversation-column">
        <SttSetup />
        <AssistantStage />
        <HistoryList />
        <Composer />
      </div>
      {overlayOn && (
        <aside className="overlay-column" aria-label="Latency">
          <LatencyOverlay />
        </aside>
      )}
      <TurnLatencyDialog />
    </main>
  )
}

/** The latency chip's dialog: that turn's waterfall. */
function TurnLatencyDialog(): React.JSX.Element {
  const entry = useHistoryStore((s) => s.entries.find((e) => e.turnId === s.openTurnId) ?? null)
  const close = useHistoryStore((s) => s.openLatency)
  return (
    <Dialog open={entry?.trace != null} onClose={() => close(null)} labelledBy="turn-latency-title" className="latency-dialog" testId="turn-latency-dialog">
      <div className="dialog-head">
        <h2 id="turn-latency-title">Where the time went{entry?.user ? `: “${entry.user.length > 60 ? `${entry.user.slice(0, 60)}…` : entry.user}”` : ''}</h2>
        <button type="button" onClick={() => close(null)} data-testid="turn-latency-close">
          Close
        </button>
      </div>
      {entry?.trace && <TurnDetail trace={entry.trace} mainOffset={entry.mainOffset} />}
    </Dialog>
  )
}

/**
 * Space held = hold to talk and Enter = start/stop, on the talk button or on the page with nothing focused; Escape
 * cancels while listening. Never while typing or on another control, never under a modal dialog.
 */
function useTalkKeys(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (document.querySelector('dialog[open]') || !useConversationStore.getState().live) return
      const listening = useAssistantStore.getState().status.activity === 'listening'
      const { input, prevent } = talkKeyIntent({ type: e.type as 'keydown' | 'keyup', key: e.key, repeat: e.repeat, altKey: e.altKey, ctrlKey: e.ctrlKey, metaKey: e.metaKey, shiftKey: e.shiftKey }, keyTargetOf(document.activeElement as HTMLElement | null), listening)
      if (prevent) e.preventDefault()
      const talk = useTalkStore.getState()
      if (input === 'press') talk.press()
      else if (input === 'release') talk.release()
      else if (input === 'toggle') talk.toggle()
      else if (input === 'cancel') talk.cancel()
    }
    window.addEventListener('keydown', onKey)
    window.addEventListener('keyup', onKey)
    // A turn ended by the global key, the command line or the tray leaves no latch on the button.
    const off = useAssistantStore.subscribe((s, prev) => {
      if (prev.status.activity === 'listening' && s.status.activity !== 'listening') useTalkStore.getState().listeningEnded()
    })
    return () => {
      window.removeEventListener('keydown', onKey)
      window.removeEventListener('keyup', onKey)
      off()
    }
  }, [])
}
