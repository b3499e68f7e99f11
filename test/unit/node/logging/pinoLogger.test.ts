import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createPinoLogger, PINO_SECRET_KEYS, type PinoLevel } from '../../../../src/node/logging/pinoLogger'
import { isSecretFieldName, REDACTED } from '../../../../src/shared/logging/redact'

function capture(level?: PinoLevel) {
  const lines: Array<Record<string, unknown>> = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    }
  })
  return { lines, logger: createPinoLogger({ level, destination, name: 'backend' }) }
}

describe('createPinoLogger', () => {
  it('writes one JSON object per line: level as a word, ISO time, name, msg and the fields', async () => {
    const { lines, logger } = capture()
    logger.info('session joined', { sessionId: 's1', pipeline: 'voice' })
    await new Promise((r) => setImmediate(r))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'info', name: 'backend', msg: 'session joined', sessionId: 's1', pipeline: 'voice' })
    expect(new Date(lines[0]!.time as string).getTime()).toBeGreaterThan(0)
  })

  it('drops lines below its level; silent drops everything', async () => {
    const warn = capture('warn')
    warn.logger.debug('d')
    warn.logger.info('i')
    warn.logger.warn('w')
    warn.logger.error('e')
    const silent = capture('silent')
    silent.logger.error('e')
    await new Promise((r) => setImmediate(r))
    expect(warn.lines.map((l) => l.level)).toEqual(['warn', 'error'])
    expect(silent.lines).toEqual([])
    const debug = capture('debug')
    debug.logger.debug('d')
    await new Promise((r) => setImmediate(r))
    expect(debug.lines.map((l) => l.level)).toEqual(['debug'])
  })

  it('a child adds its fields to every line, and a grandchild adds more', async () => {
    const { lines, logger } = capture()
    const session = logger.child({ sessionId: 's1' })
    session.child({ turnId: 't1' }).info('turn ended', { status: 'done' })
    session.warn('uplink gap')
    await new Promise((r) => setImmediate(r))
    expect(lines[0]).toMatchObject({ sessionId: 's1', turnId: 't1', status: 'done', msg: 'turn ended' })
    expect(lines[1]).toMatchObject({ sessionId: 's1', msg: 'uplink gap' })
    expect(lines[1]).not.toHaveProperty('turnId')
  })

  it('redacts secret-named fields, in children too, and tokens inside messages and URLs', async () => {
    const { lines, logger } = capture()
    logger.child({ token: 'child-secret' }).info('configured', { provider: { baseUrl: 'http://h/v1', apiKey: 'sk-abcdefgh' }, authorization: 'Bearer x' })
    logger.info('ready at ws://127.0.0.1:1/signaling?token=url-secret', { signalingUrl: 'ws://127.0.0.1:1/signaling?token=url-secret' })
    await new Promise((r) => setImmediate(r))
    const text = lines.map((l) => JSON.stringify(l)).join('\n')
    for (const secret of ['child-secret', 'sk-abcdefgh', 'Bearer x', 'url-secret']) expect(text).not.toContain(secret)
    expect(lines[0]).toMatchObject({ token: REDACTED, provider: { baseUrl: 'http://h/v1', apiKey: REDACTED }, authorization: REDACTED })
    expect(lines[1]!.signalingUrl).toBe(`ws://127.0.0.1:1/signaling?token=${REDACTED}`)
  })

  it("pino's own redact paths name only keys the shared redaction also treats as secret", () => {
    for (const key of PINO_SECRET_KEYS) expect(isSecretFieldName(key)).toBe(true)
  })
})
