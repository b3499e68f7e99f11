import type { z } from 'zod'
import { ContractError, describeIssues, type ErrorBody } from './errors'

/** A table of methods, each with a params and a result schema (apiMethods, signalingMethods). */
export type MethodTable = Record<string, { params: z.ZodType; result: z.ZodType }>

export type HandlersFor<T extends MethodTable, Ctx = void> = {
  [M in keyof T]: (params: z.output<T[M]['params']>, ctx: Ctx) => Promise<z.output<T[M]['result']>> | z.output<T[M]['result']>
}

export type Outcome = { ok: true; result: unknown } | { ok: false; error: ErrorBody }

/**
 * Validates and runs one call. Transport adapters (Electron IPC, browser-mode WebSocket, signaling) hand it the
 * method name and raw params exactly as received. It never throws: every failure becomes an error outcome, and a
 * call whose params fail validation never reaches a handler, so a bad call changes nothing.
 */
export type Dispatcher<Ctx = void> = (method: unknown, params: unknown, ctx: Ctx) => Promise<Outcome>

export function createDispatcher<T extends MethodTable, Ctx = void>(
  methods: T,
  handlers: HandlersFor<T, Ctx>,
  onInternalError?: (method: string, error: unknown) => void
): Dispatcher<Ctx> {
  return async (method, params, ctx) => {
    if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(methods, method)) {
      const shown = typeof method === 'string' ? JSON.stringify(method.slice(0, 64)) : typeof method
      return { ok: false, error: { code: 'unknown_method', message: `unknown method ${shown}` } }
    }
    const spec = methods[method]!
    const parsed = spec.params.safeParse(params ?? {})
    if (!parsed.success) {
      return {
        ok: false,
        error: { code: 'invalid_params', message: `invalid params for ${method}`, issues: describeIssues(parsed.error) }
      }
    }
    try {
      const handler = handlers[method] as (p: unknown, c: Ctx) => unknown
      const result = await handler(parsed.data, ctx)
      return { ok: true, result }
    } catch (error) {
      if (error instanceof ContractError) return { ok: false, error: error.toBody() }
      onInternalError?.(method, error)
      const message = error instanceof Error ? error.message : String(error)
      return { ok: false, error: { code: 'internal', message: `${method} failed: ${message}` } }
    }
  }
}

/** Client side: turn an outcome back into a value or a thrown ContractError. */
export function unwrapOutcome<T>(outcome: Outcome): T {
  if (outcome.ok) return outcome.result as T
  throw ContractError.fromBody(outcome.error)
}
