import type { SessionPipelineName } from '../../shared/contract/signaling'
import type { VoiceRuntime } from '../voice/voiceRuntime'
import { createClickPipeline } from './click'
import { createEchoPipeline } from './echo'
import type { PipelineFactory } from './types'

/** The pipelines a session can run, by the name a client asks for at join; voice sessions share `voice`. */
export function pipelineFactories(voice: VoiceRuntime): Record<SessionPipelineName, PipelineFactory> {
  return {
    echo: (ctx) => createEchoPipeline(ctx),
    click: (ctx) => createClickPipeline(ctx),
    voice: (ctx) => voice.startSession(ctx)
  }
}
