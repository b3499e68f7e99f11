import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { connectSignaling, type WebSocketLike } from '../../../src/shared/signalingClient'
import { ContractError } from '../../../src/shared/contract/errors'
import { startSignalingStub } from '../../helpers/fakeBackend'

const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

function exchange(url: string, frames: Array<string | Buffer>): Promise<Array<{ id: number | null; ok: boolean; error?: { code: string } }>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const answers: Array<{ id: number | null; ok: boolean; error?: { code: string } }> = []
    ws.on('open', () => frames.forEach((f) => ws.send(f)))
    ws.on('message', (data) => {
      answers.push(JSON.parse(data.toString()))
      if (answers.length === frames.length) {
        ws.close()
        resolve(answers)
      }
    })
    ws.on('error', reject)
    setTimeout(() => reject(new Error(`only ${answers.length}/${frames.length} answers`)), 5000)
  })
}

describe('signaling server', () => {
  let stub: Awaited<ReturnType<typeof startSignalingStub>>
  beforeAll(async () => {
    stub = await startSignalingStub({ workers: 2 })
  })
  afterAll(() => stub.close())

  it('answers hello and ping through the typed client', async () => {
    const client = await connectSignaling(stub.url, factory)
    expect(await client.request('hello', { protocolVersion: 1, client: 'test' })).toEqual({ protocolVersion: 1, serverVersion: 'stub', workers: 2 })
    const pong = await client.request('ping', { clientTime: 42 })
    expect(pong.clientTime).toBe(42)
    await expect(client.request('ping', { clientTime: 'soon' } as never)).rejects.toMatchObject({ code: 'invalid_params' })
    client.close()
  })

  it('answers every malformed frame with an error and keeps the connection', async () => {
    const frames = [
      'garbage',
      '{}',
      '[]',
      'null',
      JSON.stringify({ id: -1, method: 'ping' }),
      JSON.stringify({ id: 1.5, method: 'ping' }),
      JSON.stringify({ id: 7, method: 'x'.repeat(65) }),
      JSON.stringify({ id: 8, method: 'nope' }),
      JSON.stringify({ id: 9, method: 'ping', params: { clientTime: 1, extra: true } }),
      JSON.stringify({ id: 10, method: '__proto__' }),
      Buffer.from([1, 2, 3]),
      JSON.stringify({ id: 11, method: 'ping', params: { clientTime: 1 } })
    ]
    const answers = await exchange(stub.url, frames)
    expect(answers.filter((a) => a.ok)).toHaveLength(1)
    expect(answers.find((a) => a.id === 11)).toMatchObject({ ok: true })
    expect(answers.find((a) => a.id === 7)?.error?.code).toBe('bad_message')
    expect(answers.find((a) => a.id === 8)?.error?.code).toBe('unknown_method')
    expect(answers.find((a) => a.id === 9)?.error?.code).toBe('invalid_params')
    expect(answers.find((a) => a.id === 10)?.error?.code).toBe('unknown_method')
  })

  it('survives 1000 random frames and still serves requests', async () => {
    let seed = 1234567
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const pieces = ['{', '}', '"id"', ':', '1', ',', '"method"', '"ping"', '"params"', '[', ']', 'null', '"hello"', '-', '9e999', '"\\u0000"', 'true']
    const frames: string[] = []
    for (let i = 0; i < 1000; i++) {
      const n = 1 + Math.floor(rand() * 12)
      frames.push(Array.from({ length: n }, () => pieces[Math.floor(rand() * pieces.length)]).join(''))
    }
    const answers = await exchange(stub.url, frames)
    expect(answers).toHaveLength(1000)
    expect(answers.every((a) => a.ok === false || a.ok === true)).toBe(true)
    const client = await connectSignaling(stub.url, factory)
    expect((await client.request('ping', { clientTime: 1 })).clientTime).toBe(1)
    client.close()
  })

  it('rejects pending requests when the socket closes, instead of hanging', async () => {
    const client = await connectSignaling(stub.url, factory)
    const pending = client.request('ping', { clientTime: 1 })
    client.close()
    await expect(pending).rejects.toBeInstanceOf(ContractError)
  })

  it('fails fast with a clear message when nothing listens', async () => {
    await expect(connectSignaling('ws://127.0.0.1:1/signaling', factory)).rejects.toThrow(/closed before it opened|did not open/)
  })
})
