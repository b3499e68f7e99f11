import type { SessionPipelineName } from '../../shared/contract/signaling'
import { createClickPipeline } from './click'
import { createEchoPipeline } from './echo'
import { createVoicePipeline } from '../voice/voiceSession'
import type { PipelineFactory } from './types'

/** The pipelines a session can run, by the name a client asks for at join. */
export const pipelineFactories: Record<SessionPipelineName, PipelineFactory> = {
  echo: (ctx) => createEchoPipeline(ctx),
  click: (ctx) => createClickPipeline(ctx),
  voice: (ctx) => createVoicePipeline(ctx)
}
