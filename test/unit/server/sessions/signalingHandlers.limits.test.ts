import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { issueAccessToken } from '../../../../src/server/auth/accessToken'
import { createConnectionGate } from '../../../../src/server/auth/connectionGate'
import { startBackend, type RunningBackend } from '../../../../src/server/backend'
import { ContractError } from '../../../../src/shared/contract/errors'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../../../../src/shared/signalingClient'

const secret = 'operator-secret-0123456789abcdefghijklmnop'
const from = (localAddress: string) => (url: string): WebSocketLike => new WebSocket(url, { localAddress }) as unknown as WebSocketLike

/**
 * Fair limits on a real backend with operator tokens: the flooder (its own token, its own loopback address
 * 127.0.0.2) sends 2000 joins; the legitimate client (another token, 127.0.0.1) joins in the middle of it and gets
 * its session, and every refusal the flooder got names the limit that refused it.
 */
describe('fair limits: one client flooding joins cannot keep another out (real mediasoup worker)', () => {
  let backend: RunningBackend
  const clients: SignalingClient[] = []
  const url = (sub: string, scope?: Array<'echo' | 'click' | 'voice'>): string => `${backend.signalingUrl}?token=${issueAccessToken(secret, { sub, scope, ttlMs: 600_000 })}`
  beforeAll(async () => {
    backend = await startBackend(
      { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none' },
      { sessions: { detachedGraceMs: 60_000 }, access: { gate: createConnectionGate({ auth: { kind: 'tokens', secret }, origins: { allowed: [] } }) } }
    )
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await backend?.close()
  })

  it('2000 joins from one client, with and without leaving; a legitimate join in the middle succeeds', async () => {
    const refusals = new Map<string, number>()
    let admitted = 0
    const flooders: SignalingClient[] = []
    for (let i = 0; i < 40; i++) flooders.push(await connectSignaling(url('mallory'), from('127.0.0.2')))
    clients.push(...flooders)
    let sent = 0
    let legit: { ms: number; sessionId: string } | null = null
    let legitStarted = false
    const flood = flooders.map(async (c, i) => {
      while (sent < 2000) {
        sent++
        try {
          await c.request('join', { pipeline: 'echo' })
          admitted++
          // Half the flooders leave at once (join/leave cycling meets the join rate); the others keep the session
          // and switch to a fresh connection (holding sessions meets the per-principal cap).
          if (i % 2 === 0) await c.request('leave', {})
          else {
            c.close()
            const next = await connectSignaling(url('mallory'), from('127.0.0.2'))
            clients.push(next)
            c = next
          }
        } catch (error) {
          const e = error as ContractError
          const key = `${e.code}:${e.limit ?? '-'}`
          refusals.set(key, (refusals.get(key) ?? 0) + 1)
        }
        if (sent >= 1000 && !legitStarted) {
          legitStarted = true
          const t0 = performance.now()
          const alice = await connectSignaling(url('alice'), from('127.0.0.1'))
          clients.push(alice)
          const joined = await alice.request('join', { pipeline: 'echo' })
          legit = { ms: performance.now() - t0, sessionId: joined.sessionId }
        }
      }
    })
    await Promise.all(flood)
    const seen = legit as { ms: number; sessionId: string } | null // set inside the flood's callbacks
    console.log(`join flood: ${sent} joins, ${admitted} admitted, refusals ${JSON.stringify(Object.fromEntries(refusals))}; legitimate join in ${seen ? Math.round(seen.ms) : '-'} ms`)
    expect(seen?.sessionId).toBeTruthy()
    expect(backend.sessions.size).toBeLessThanOrEqual(10 + 1) // mallory's cap + alice's one
    expect(admitted).toBeLessThan(60)
    expect([...refusals.keys()].every((k) => k.startsWith('limit_exceeded:'))).toBe(true)
    expect(refusals.get('limit_exceeded:join_rate')).toBeGreaterThan(1900)
    for (const c of clients.splice(0)) c.close()
    await expect.poll(() => backend.sessions.size, { timeout: 5000 }).toBeGreaterThan(0) // detached, within their grace
  })

  it('sessions held by one principal (from any address) and from one address (by any principal) are capped, and the refusal says which', async () => {
    const hoarder: SignalingClient[] = []
    const join = async (sub: string, address: string): Promise<string> => {
      const c = await connectSignaling(url(sub), from(address))
      clients.push(c)
      hoarder.push(c)
      return c.request('join', { pipeline: 'echo' }).then(
        () => 'joined',
        (e: ContractError) => `${e.code}:${e.limit}`
      )
    }
    const results: string[] = []
    for (let i = 0; i < 10; i++) results.push(await join('hoarder', `127.0.1.${1 + (i % 3)}`))
    expect(results).toEqual(Array(10).fill('joined'))
    await new Promise((r) => setTimeout(r, 600)) // past the join rate: the cap is what refuses now
    expect(await join('hoarder', '127.0.1.9')).toBe('limit_exceeded:sessions_per_principal')
    // Twenty principals behind one address: its join burst, then one join per 500 ms, until the address cap refuses.
    const crowd: string[] = []
    for (let i = 0; i < 30 && !crowd.includes('limit_exceeded:sessions_per_address'); i++) {
      crowd.push(await join(`guest${i}`, '127.0.2.1'))
      if (i >= 9) await new Promise((r) => setTimeout(r, 520))
    }
    expect(crowd.filter((r) => r === 'joined')).toHaveLength(20)
    expect(crowd.at(-1)).toBe('limit_exceeded:sessions_per_address')
    expect(backend.sessions.admission.sessionsOf({ address: '127.0.2.1' })).toBe(20)
    for (const c of hoarder) c.close()
  }, 30_000)

  it('a token scoped to one pipeline cannot join another', async () => {
    const echoOnly = await connectSignaling(url('eve', ['echo']), from('127.0.0.3'))
    clients.push(echoOnly)
    await expect(echoOnly.request('join', { pipeline: 'click' })).rejects.toMatchObject({ code: 'forbidden', message: 'your access token does not allow the click pipeline (its scope: echo)' })
    expect((await echoOnly.request('join', { pipeline: 'echo' })).pipeline).toBe('echo')
  })
})
