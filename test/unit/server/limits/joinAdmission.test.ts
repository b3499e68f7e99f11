import { describe, expect, it } from 'vitest'
import { JoinAdmission } from '../../../../src/server/limits/joinAdmission'
import { ContractError } from '../../../../src/shared/contract/errors'

const refusal = (fn: () => void): { code: string; limit?: string; message: string; retryAfterMs?: number } | null => {
  try {
    fn()
    return null
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError)
    const e = error as ContractError
    return { code: e.code, limit: e.limit, message: e.message, retryAfterMs: e.retryAfterMs }
  }
}

describe('JoinAdmission: join rate and session quotas', () => {
  const alice = { principal: 'token:alice', address: '192.0.2.1' }
  const mallory = { principal: 'token:mallory', address: '192.0.2.66' }

  it('a flood of joins from one principal is refused by its own limits while another principal joins', () => {
    const a = new JoinAdmission({ joinBurst: 5, joinsPerSecond: 1, sessionsPerPrincipal: 3, sessionsPerAddress: 50 })
    const outcomes = new Map<string, number>()
    for (let i = 0; i < 2000; i++) {
      const r = refusal(() => a.admit(mallory, i)) // 2000 joins in 2 s
      const key = r ? `${r.code}:${r.limit}` : 'admitted'
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
    }
    expect(outcomes.get('admitted')).toBe(3)
    expect(outcomes.get('limit_exceeded:sessions_per_principal')).toBeGreaterThan(0)
    expect(outcomes.get('limit_exceeded:join_rate') ?? 0).toBe(0) // refused joins cost no tokens; the quota stops it
    expect(refusal(() => a.admit(alice, 2000))).toBeNull()
  })

  it('names the join rate and says when to retry', () => {
    const a = new JoinAdmission({ joinBurst: 2, joinsPerSecond: 2, sessionsPerPrincipal: 100, sessionsPerAddress: 100 })
    a.admit(alice, 0)
    a.admit(alice, 0)
    const r = refusal(() => a.admit(alice, 0))!
    expect(r).toMatchObject({ code: 'limit_exceeded', limit: 'join_rate', retryAfterMs: 500 })
    expect(r.message).toMatch(/joining too fast.*try again in 500 ms/)
    expect(refusal(() => a.admit(alice, 500))).toBeNull()
    // The same principal from another address is still one principal.
    expect(refusal(() => a.admit({ ...alice, address: '198.51.100.9' }, 500))?.limit).toBe('join_rate')
  })

  it('counts per address across principals, and the backend total', () => {
    const a = new JoinAdmission({ sessionsPerAddress: 2, maxSessions: 3, joinBurst: 100 })
    a.admit({ principal: 'p1', address: 'nat' }, 0)
    a.admit({ principal: 'p2', address: 'nat' }, 0)
    expect(refusal(() => a.admit({ principal: 'p3', address: 'nat' }, 0))?.limit).toBe('sessions_per_address')
    a.admit({ principal: 'p3', address: 'elsewhere' }, 0)
    expect(refusal(() => a.admit({ principal: 'p4', address: 'other' }, 0))).toMatchObject({ limit: 'sessions_total', message: expect.stringMatching(/backend is full/) })
    a.release({ principal: 'p1', address: 'nat' })
    expect(a.sessionsOf({ address: 'nat' })).toBe(1)
    expect(refusal(() => a.admit({ principal: 'p4', address: 'nat' }, 0))).toBeNull()
  })

  it('release frees the slot it took, and never goes below zero', () => {
    const a = new JoinAdmission({ sessionsPerPrincipal: 1 })
    a.admit(alice, 0)
    expect(refusal(() => a.admit(alice, 10_000))?.limit).toBe('sessions_per_principal')
    a.release(alice)
    a.release(alice)
    expect(a.sessionsOf({ principal: alice.principal })).toBe(0)
    expect(refusal(() => a.admit(alice, 10_000))).toBeNull()
  })
})
