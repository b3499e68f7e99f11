import { describe, expect, it } from 'vitest'
import { budgetSum, budgetVerdict, latencyStages, TOTAL_BUDGET_MS } from '../../../src/shared/latencyBudget'

describe('latency budget', () => {
  it('the stage shares add up to the 800 ms voice-to-voice budget', () => {
    expect(budgetSum()).toBe(TOTAL_BUDGET_MS)
    expect(new Set(latencyStages.map((s) => s.id)).size).toBe(latencyStages.length)
  })
  it('ok below 80 % of a share, tight up to 100 %, over beyond', () => {
    expect(budgetVerdict(79, 100)).toBe('ok')
    expect(budgetVerdict(80, 100)).toBe('ok')
    expect(budgetVerdict(81, 100)).toBe('tight')
    expect(budgetVerdict(100, 100)).toBe('tight')
    expect(budgetVerdict(100.5, 100)).toBe('over')
  })
})
