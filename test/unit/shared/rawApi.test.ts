import { describe, expect, it } from 'vitest'
import { apiMethodNames } from '../../../src/shared/contract/api'
import { ContractError } from '../../../src/shared/contract/errors'
import { voiceApiFromRaw, type RawVoiceApi } from '../../../src/shared/rawApi'

describe('voiceApiFromRaw', () => {
  const calls: Array<{ method: string; params: unknown }> = []
  const raw = Object.fromEntries(
    apiMethodNames.map((m) => [
      m,
      async (params: unknown) => {
        calls.push({ method: m, params })
        return m === 'getSettings' ? { ok: false, error: { code: 'unavailable', message: 'not now' } } : { ok: true, result: { echoed: m } }
      }
    ])
  ) as unknown as RawVoiceApi
  ;(raw as { on: RawVoiceApi['on'] }).on = () => () => undefined
  const api = voiceApiFromRaw(raw)

  it('has every api method; a call resolves with its result', async () => {
    for (const m of apiMethodNames) expect(typeof (api as unknown as Record<string, unknown>)[m]).toBe('function')
    const method = apiMethodNames.find((m) => m !== 'getSettings')!
    await expect((api as unknown as Record<string, (p: unknown) => Promise<unknown>>)[method]!({})).resolves.toEqual({ echoed: method })
    expect(calls.at(-1)).toEqual({ method, params: {} })
  })

  it('an error outcome rejects with a ContractError carrying the code', async () => {
    const error = await (api as unknown as Record<string, (p: unknown) => Promise<unknown>>).getSettings!({}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ContractError)
    expect(error).toMatchObject({ code: 'unavailable', message: 'not now' })
  })
})
