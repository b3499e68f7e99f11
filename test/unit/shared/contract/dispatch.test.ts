import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createDispatcher, unwrapOutcome } from '../../../../src/shared/contract/dispatch'
import { ContractError } from '../../../../src/shared/contract/errors'

const methods = {
  add: { params: z.object({ a: z.number(), b: z.number() }).strict(), result: z.number() },
  boom: { params: z.object({}).strict(), result: z.null() },
  refuse: { params: z.object({}).strict(), result: z.null() }
}

describe('createDispatcher', () => {
  const add = vi.fn(({ a, b }: { a: number; b: number }) => a + b)
  const onInternal = vi.fn()
  const dispatch = createDispatcher(
    methods,
    {
      add,
      boom: () => {
        throw new Error('kaput')
      },
      refuse: () => {
        throw new ContractError('conflict', 'not now')
      }
    },
    onInternal
  )

  it('runs a valid call', async () => {
    expect(await dispatch('add', { a: 2, b: 3 }, undefined)).toEqual({ ok: true, result: 5 })
  })

  it('rejects unknown methods, including prototype names', async () => {
    for (const name of ['nope', 'toString', '__proto__', 'constructor', 42, null]) {
      const outcome = await dispatch(name, {}, undefined)
      expect(outcome).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
    }
  })

  it('rejects invalid params with per-field issues and never calls the handler', async () => {
    add.mockClear()
    const outcome = await dispatch('add', { a: 'two', b: 3, c: 1 }, undefined)
    expect(outcome.ok).toBe(false)
    if (outcome.ok) return
    expect(outcome.error.code).toBe('invalid_params')
    expect(outcome.error.issues?.some((line) => line.startsWith('a:'))).toBe(true)
    expect(add).not.toHaveBeenCalled()
  })

  it('turns handler exceptions into internal errors and reports them', async () => {
    const outcome = await dispatch('boom', {}, undefined)
    expect(outcome).toEqual({ ok: false, error: { code: 'internal', message: 'boom failed: kaput' } })
    expect(onInternal).toHaveBeenCalledWith('boom', expect.any(Error))
  })

  it('passes ContractErrors through with their code', async () => {
    expect(await dispatch('refuse', {}, undefined)).toEqual({ ok: false, error: { code: 'conflict', message: 'not now' } })
  })

  it('unwrapOutcome returns results and throws ContractError with the code', () => {
    expect(unwrapOutcome<number>({ ok: true, result: 1 })).toBe(1)
    try {
      unwrapOutcome({ ok: false, error: { code: 'invalid_params', message: 'bad', issues: ['x: y'] } })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ContractError)
      expect((error as ContractError).code).toBe('invalid_params')
      expect((error as ContractError).issues).toEqual(['x: y'])
    }
  })
})
