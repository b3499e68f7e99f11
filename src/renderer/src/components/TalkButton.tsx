import type React from 'react'
import { useAssistantStore } from '../stores/assistantStore'
import { useConversationStore } from '../stores/conversationStore'
import { useTalkStore } from '../stores/talkStore'

/**
 * The talk button: hold to talk, or click once to start and again to send; Space held and Enter work on it and on
 * the page (ConversationView routes the keys). Its commands go to the same push-to-talk machine as the global key.
 */
export function TalkButton(): React.JSX.Element {
  const talking = useConversationStore((s) => s.status?.talking ?? false)
  const live = useConversationStore((s) => s.live)
  const pushToTalk = useConversationStore((s) => s.pushToTalk)
  const listening = useAssistantStore((s) => s.status.activity === 'listening')
  const held = useTalkStore((s) => s.input.held)
  const latched = useTalkStore((s) => s.input.latched)
  const { press, release } = useTalkStore.getState()
  const label = pushToTalk ? (talking ? 'Talking…' : 'Hold to talk') : listening ? 'Stop listening' : 'Start listening'
  return (
    <button
      type="button"
      className={`talk-button ${talking || listening ? 'on' : ''} ${held ? 'held' : ''}`}
      data-talk-button=""
      aria-pressed={talking || listening || latched}
      aria-describedby="assistant-hint"
      disabled={!live}
      onPointerDown={(e) => {
        if (e.button !== 0) return
        e.currentTarget.setPointerCapture(e.pointerId)
        press()
      }}
      onPointerUp={() => release()}
      onPointerCancel={() => release()}
      onContextMenu={(e) => e.preventDefault()}
      data-testid="conversation-talk"
    >
      <svg className="talk-icon" viewBox="0 0 24 24" aria-hidden="true">
        <rect x="9" y="3" width="6" height="11" rx="3" />
        <path d="M5 11a7 7 0 0 0 14 0M12 18v3" fill="none" strokeWidth="2" strokeLinecap="round" />
      </svg>
      <span className="talk-label">{label}</span>
    </button>
  )
}
