/**
 * The voice-to-voice budget: natural turn-taking needs the reply to start within ~800 ms of the user stopping.
 * Each stage has a share; the overlay colours a stage by how much of its share it used. Pure data + math.
 */
export const TOTAL_BUDGET_MS = 800

export const latencyStages = [
  { id: 'mic', label: 'Mic capture', budgetMs: 20 },
  { id: 'uplink', label: 'Uplink', budgetMs: 30 },
  /** Hearing that the speech ended (the whole end of utterance when the turn carries no decision: +turn's share). */
  { id: 'eou', label: 'End of utterance', budgetMs: 30 },
  /** The turn policy's wait after the speech ended: 150 ms is its wait for a finished request. */
  { id: 'turn', label: 'Turn decision', budgetMs: 150 },
  /** Speculative STT usually finishes inside the pause: what is left after the commit is small. */
  { id: 'stt', label: 'Speech to text', budgetMs: 120 },
  { id: 'llm', label: 'LLM first token', budgetMs: 250 },
  { id: 'tts', label: 'TTS first audio', budgetMs: 100 },
  { id: 'downlink', label: 'Downlink + playout', budgetMs: 100 }
] as const

export type LatencyStageId = (typeof latencyStages)[number]['id']

export type BudgetVerdict = 'ok' | 'tight' | 'over'

/** ok below 80 % of the share, tight up to 100 %, over beyond. */
export function budgetVerdict(measuredMs: number, budgetMs: number): BudgetVerdict {
  if (measuredMs > budgetMs) return 'over'
  if (measuredMs > budgetMs * 0.8) return 'tight'
  return 'ok'
}

export function budgetSum(): number {
  return latencyStages.reduce((sum, s) => sum + s.budgetMs, 0)
}
