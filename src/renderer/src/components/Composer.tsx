import type React from 'react'
import { useState } from 'react'
import { TYPED_TURN_MAX_CHARS } from '../../../shared/contract/signaling'
import { useConversationStore } from '../stores/conversationStore'
import { sendTypedTurn, useHistoryStore } from '../stores/historyStore'

/** The text box: a typed turn goes through the same LLM → TTS chain as speech (no speech recognition). */
export function Composer(): React.JSX.Element {
  const [text, setText] = useState('')
  const live = useConversationStore((s) => s.live)
  const voice = useConversationStore((s) => s.pipeline === 'voice')
  const ready = live && voice
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault()
        const conversation = useConversationStore.getState()
        void sendTypedTurn(text, {
          history: useHistoryStore.getState(),
          conversation: { sendTyped: (t, id) => conversation.sendTyped(t, id), getError: () => useConversationStore.getState().error },
          newTurnId: () => `typed-${crypto.randomUUID()}`
        })
        setText('')
      }}
    >
      <label htmlFor="composer-text" className="sr-only">
        Type a message
      </label>
      <input
        id="composer-text"
        type="text"
        value={text}
        maxLength={TYPED_TURN_MAX_CHARS}
        autoComplete="off"
        placeholder={ready ? 'Type a message — the answer is spoken' : live ? 'Typing needs the voice pipeline (see Diagnostics)' : 'Connecting…'}
        onChange={(e) => setText(e.target.value)}
        data-testid="composer-input"
      />
      <button type="submit" className="primary" disabled={!ready || text.trim() === ''} data-testid="composer-send">
        Send
      </button>
    </form>
  )
}
