import type React from 'react'
import { assistantDisplay } from '../stores/assistantActivity'
import { useAppStore } from '../stores/appStore'
import { useAssistantStore } from '../stores/assistantStore'
import { useConversationStore } from '../stores/conversationStore'
import { useTalkStore } from '../stores/talkStore'
import { TalkButton } from './TalkButton'

/** The centre of the window: what the assistant is doing (idle, listening, thinking, speaking, offline) and the talk button. */
export function AssistantStage(): React.JSX.Element {
  const status = useAssistantStore((s) => s.status)
  const assistantError = useAssistantStore((s) => s.error)
  const talkError = useTalkStore((s) => s.error)
  const conversation = useConversationStore()
  const servicesOpen = useAppStore((s) => s.connection === 'open')
  const backend = useAppStore((s) => s.backend)
  const display = assistantDisplay({
    activity: status.activity,
    micMuted: status.micMuted,
    conversationLive: conversation.live,
    reconnecting: conversation.status?.phase === 'reconnecting',
    connecting: conversation.connecting,
    servicesOpen,
    backendState: backend?.state ?? null,
    backendDetail: backend?.detail ?? null,
    stopped: !conversation.wanted,
    pushToTalk: conversation.pushToTalk
  })
  const problem = talkError ?? assistantError ?? (conversation.live ? null : conversation.error)
  return (
    <section className={`stage stage-${display.state}`} aria-labelledby="assistant-state" data-testid="assistant-stage" data-state={display.state}>
      <div className="orb" aria-hidden="true">
        <span className="orb-ring" />
        <span className="orb-core" />
        <span className="orb-bars">
          <i />
          <i />
          <i />
          <i />
          <i />
        </span>
      </div>
      <div className="stage-text">
        <h2 id="assistant-state" className="stage-title" role="status" aria-live="polite" data-testid="assistant-state">
          {display.title}
        </h2>
        <p id="assistant-hint" className="stage-hint">
          {display.hint}
        </p>
      </div>
      <TalkButton />
      {problem && (
        <p className="stage-problem" role="alert" data-testid="conversation-error">
          {problem}
        </p>
      )}
    </section>
  )
}
