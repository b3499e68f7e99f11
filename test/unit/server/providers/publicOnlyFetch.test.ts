import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { NonPublicAddressError, publicOnlyFetch } from '../../../../src/server/providers/publicOnlyFetch'

/** A loopback HTTP server counting its requests; `redirectTo` makes it answer 302 there. */
async function server(redirectTo?: string): Promise<{ url: (host: string) => string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = []
  const srv: Server = createServer((req, res) => {
    requests.push(req.url ?? '')
    if (redirectTo) res.writeHead(302, { location: redirectTo }).end()
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('secret from inside')
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
  const port = (srv.address() as AddressInfo).port
  return { url: (host) => `http://${host}:${port}/v1/audio/transcriptions`, requests, close: () => new Promise((resolve) => srv.close(() => resolve())) }
}

const toLoopback = (_host: string, cb: (e: NodeJS.ErrnoException | null, a: Array<{ address: string; family: number }>) => void): void => cb(null, [{ address: '127.0.0.1', family: 4 }])

describe('publicOnlyFetch (client-brought provider URLs)', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  it('a name that resolves to a loopback address at connect time (DNS rebinding after the check) is refused; nothing reaches the server', async () => {
    const inside = await server()
    closers.push(inside.close)
    const f = publicOnlyFetch({ lookup: toLoopback })
    const error = await f(inside.url('rebind.example')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(String((error as Error & { cause?: unknown }).cause ?? error)).toMatch(/rebind\.example resolves to 127\.0\.0\.1, a loopback address/)
    expect(inside.requests).toEqual([])
  })

  it('an address literal in a non-public range is refused before any connection', async () => {
    const inside = await server()
    closers.push(inside.close)
    await expect(publicOnlyFetch()(inside.url('127.0.0.1'))).rejects.toBeInstanceOf(NonPublicAddressError)
    expect(inside.requests).toEqual([])
  })

  it('a redirect is refused, not followed (the target gets nothing)', async () => {
    const target = await server()
    const redirector = await server(target.url('127.0.0.1'))
    closers.push(target.close, redirector.close)
    // This test's "public" world is loopback: only the redirect rule is under test here.
    const f = publicOnlyFetch({ lookup: toLoopback, allowAddress: () => true })
    await expect(f(redirector.url('provider.example'))).rejects.toThrow()
    expect(redirector.requests).toHaveLength(1)
    expect(target.requests).toEqual([])
  })

  it('an allowed address is fetched normally', async () => {
    const ok = await server()
    closers.push(ok.close)
    const res = await publicOnlyFetch({ lookup: toLoopback, allowAddress: () => true })(ok.url('provider.example'))
    expect(await res.text()).toBe('secret from inside')
  })
})
