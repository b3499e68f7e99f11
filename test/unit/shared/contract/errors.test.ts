import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { ContractError, describeIssues, errorBodySchema } from '../../../../src/shared/contract/errors'

describe('ContractError', () => {
  it('crosses a process boundary as an ErrorBody and comes back the same', () => {
    const e = new ContractError('invalid_params', 'bad', ['a: required'])
    const body = e.toBody()
    expect(errorBodySchema.parse(body)).toEqual({ code: 'invalid_params', message: 'bad', issues: ['a: required'] })
    const back = ContractError.fromBody(body)
    expect(back).toBeInstanceOf(ContractError)
    expect(back).toMatchObject({ code: 'invalid_params', message: 'bad', issues: ['a: required'] })
  })

  it('a limit refusal names the limit and a whole retry delay', () => {
    const e = ContractError.limit('join_rate', 'too many joins', 412.3)
    expect(e.toBody()).toEqual({ code: 'limit_exceeded', message: 'too many joins', limit: 'join_rate', retryAfterMs: 413 })
    expect(ContractError.limit('join_rate', 'x').toBody()).not.toHaveProperty('retryAfterMs')
  })
})

describe('describeIssues', () => {
  it('one line per issue with its path, capped so a hostile payload cannot blow up a reply', () => {
    const schema = z.object({ items: z.array(z.number()) })
    const result = schema.safeParse({ items: Array.from({ length: 30 }, () => 'x') })
    expect(result.success).toBe(false)
    const lines = describeIssues(result.error!, 5)
    expect(lines).toHaveLength(6)
    expect(lines[0]).toMatch(/^items\.0: /)
    expect(lines[5]).toBe('… and 25 more')
    expect(describeIssues(z.number().safeParse('x').error!)).toEqual([expect.stringMatching(/^\(root\): /)])
  })
})
