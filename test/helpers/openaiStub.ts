import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A local OpenAI-compatible test server: real HTTP on 127.0.0.1, SSE streaming for chat completions, and
 * controllable delays and failures per endpoint. It stands in for /v1/audio/transcriptions, /v1/chat/completions
 * and /v1/audio/speech, since no model weights exist here.
 *
 * Failure modes: `status` (answer with that HTTP status and an OpenAI-style error body), `hang` (accept the
 * request and never answer: a timeout), `broken` (start the reply and drop the connection part-way).
 */

export type StubMode = { kind: 'ok' } | { kind: 'status'; status: number; message?: string } | { kind: 'hang' } | { kind: 'broken'; afterChunks?: number }

export interface ChatBehaviour {
  mode: StubMode
  /** The reply text; streamed as one SSE chunk per word. Default echoes "You said: <last user message>". */
  reply?: string | ((lastUser: string) => string)
  /** Delay before the first chunk (time to first token). */
  ttftMs?: number
  /** Delay between chunks. */
  tokenDelayMs?: number
}

export interface TranscriptionBehaviour {
  mode: StubMode
  /** The transcript; a function gets the uploaded WAV's duration (ms), e.g. to hear no words in a short noise. */
  text?: string | ((audioMs: number) => string)
  delayMs?: number
}

export interface SpeechBehaviour {
  mode: StubMode
  /** Tone length per input character (ms); the audio is a 24 kHz 16-bit PCM tone, like OpenAI's `pcm` format. */
  msPerChar?: number
  delayMs?: number
}

export interface StubRequest {
  path: string
  authorization: string | undefined
  body: Buffer
  json: unknown
  /** Date.now() when the response finished (ended or dropped); undefined while it runs or hangs. */
  endedAt?: number
}

export interface OpenAiStub {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string
  apiKey: string
  requests: StubRequest[]
  chat: ChatBehaviour
  transcription: TranscriptionBehaviour
  speech: SpeechBehaviour
  /** Requests per path. */
  count(path: string): number
  close(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function startOpenAiStub(opts: { apiKey?: string } = {}): Promise<OpenAiStub> {
  const apiKey = opts.apiKey ?? 'sk-test-stub'
  const sockets = new Set<Socket>()
  const stub: OpenAiStub = {
    baseUrl: '',
    apiKey,
    requests: [],
    chat: { mode: { kind: 'ok' } },
    transcription: { mode: { kind: 'ok' } },
    speech: { mode: { kind: 'ok' } },
    count: (path) => stub.requests.filter((r) => r.path === path).length,
    close: async () => undefined
  }

  const server: Server = createServer((req, res) => void handle(req, res))
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    const path = new URL(req.url ?? '/', 'http://x').pathname
    let json: unknown = null
    if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        json = JSON.parse(body.toString())
      } catch {
        return sendError(res, 400, 'invalid JSON body')
      }
    }
    const record: StubRequest = { path, authorization: req.headers.authorization, body, json }
    stub.requests.push(record)
    res.on('close', () => (record.endedAt = Date.now()))
    if (req.headers.authorization !== `Bearer ${apiKey}`) return sendError(res, 401, 'Incorrect API key provided', 'invalid_api_key')
    if (req.method !== 'POST') return sendError(res, 405, 'method not allowed')
    if (path === '/v1/chat/completions') return chat(res, json)
    if (path === '/v1/audio/transcriptions') return transcription(req, res, body)
    if (path === '/v1/audio/speech') return speech(res, json)
    return sendError(res, 404, `no route ${path}`)
  }

  /** Shared handling of status/hang; returns true when the request was dealt with. */
  function failed(res: ServerResponse, mode: StubMode): boolean {
    if (mode.kind === 'status') {
      sendError(res, mode.status, mode.message ?? `stub failure ${mode.status}`)
      return true
    }
    if (mode.kind === 'hang') return true // never answer; the socket is destroyed on close()
    return false
  }

  async function chat(res: ServerResponse, json: unknown): Promise<void> {
    const b = stub.chat
    if (failed(res, b.mode)) return
    const messages = (json as { messages?: Array<{ role: string; content: string }> } | null)?.messages ?? []
    if (!Array.isArray(messages) || messages.length === 0) return sendError(res, 400, 'messages is required')
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? ''
    const reply = typeof b.reply === 'function' ? b.reply(lastUser) : (b.reply ?? `You said: ${lastUser}`)
    const stream = (json as { stream?: boolean }).stream === true
    if (b.ttftMs) await sleep(b.ttftMs)
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'chatcmpl-stub', object: 'chat.completion', created: 0, model: 'stub', choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }] }))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    const pieces = reply.match(/\S+\s*/g) ?? []
    const chunk = (delta: object, finish: string | null): string =>
      `data: ${JSON.stringify({ id: 'chatcmpl-stub', object: 'chat.completion.chunk', created: 0, model: 'stub', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
    res.write(chunk({ role: 'assistant', content: '' }, null))
    for (let i = 0; i < pieces.length; i++) {
      if (b.mode.kind === 'broken' && i >= (b.mode.afterChunks ?? 2)) {
        await sleep(30) // let the chunks already written reach the client, then reset the connection
        res.socket?.destroy()
        return
      }
      if (i > 0 && b.tokenDelayMs) await sleep(b.tokenDelayMs)
      res.write(chunk({ content: pieces[i] }, null))
    }
    res.write(chunk({}, 'stop'))
    res.end('data: [DONE]\n\n')
  }

  async function transcription(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const b = stub.transcription
    if (b.delayMs) await sleep(b.delayMs)
    if (failed(res, b.mode)) return
    if (b.mode.kind === 'broken') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"text": "hal')
      res.socket?.destroy()
      return
    }
    const type = req.headers['content-type'] ?? ''
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type)
    if (!type.startsWith('multipart/form-data') || !boundary) return sendError(res, 400, 'expected multipart/form-data')
    const text = body.toString('latin1')
    if (!/name="file"/.test(text) || !/name="model"/.test(text)) return sendError(res, 400, 'file and model are required')
    if (!text.includes('RIFF')) return sendError(res, 400, 'file is not a WAV')
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ text: typeof b.text === 'function' ? b.text(wavDurationMs(body)) : (b.text ?? 'what time is it') }))
  }

  async function speech(res: ServerResponse, json: unknown): Promise<void> {
    const b = stub.speech
    if (b.delayMs) await sleep(b.delayMs)
    if (failed(res, b.mode)) return
    const input = (json as { input?: unknown } | null)?.input
    if (typeof input !== 'string' || !input) return sendError(res, 400, 'input is required')
    const samples = Math.round(((b.msPerChar ?? 60) * input.length * 24_000) / 1000)
    const pcm = Buffer.alloc(samples * 2)
    for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 24_000)), i * 2)
    res.writeHead(200, { 'content-type': 'audio/pcm' })
    const piece = 4800 // 100 ms
    for (let at = 0, n = 0; at < pcm.length; at += piece, n++) {
      if (b.mode.kind === 'broken' && n >= (b.mode.afterChunks ?? 1)) {
        await sleep(30)
        res.socket?.destroy()
        return
      }
      res.write(pcm.subarray(at, at + piece))
      await sleep(1)
    }
    res.end()
  }

  function sendError(res: ServerResponse, status: number, message: string, code: string | null = null): void {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { message, type: status === 401 ? 'invalid_request_error' : 'server_error', param: null, code } }))
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  stub.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  stub.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  return stub
}

/** Duration of the first PCM WAV inside a request body (the multipart upload), from its fmt and data chunks. */
export function wavDurationMs(body: Buffer): number {
  const riff = body.indexOf('RIFF')
  if (riff < 0 || body.toString('ascii', riff + 8, riff + 12) !== 'WAVE') return 0
  let at = riff + 12
  let byteRate = 0
  while (at + 8 <= body.length) {
    const id = body.toString('ascii', at, at + 4)
    const size = body.readUInt32LE(at + 4)
    if (id === 'fmt ') byteRate = body.readUInt32LE(at + 16)
    if (id === 'data') return byteRate > 0 ? (Math.min(size, body.length - at - 8) / byteRate) * 1000 : 0
    at += 8 + size + (size & 1)
  }
  return 0
}
