import { describe, expect, it } from 'vitest'
import { defaultBackendConfig, isLoopbackAddress, listenRefusal, loggerLevel, mediasoupLogLevel, parseServerArgs, UsageError, type ServerCommand } from '../../../src/server/config'

const serve = (cmd: ServerCommand): Extract<ServerCommand, { command: 'serve' }> => {
  if (cmd.command !== 'serve') throw new Error(`expected serve, got ${cmd.command}`)
  return cmd
}

describe('backend CLI options', () => {
  const defaults = defaultBackendConfig(2)
  it('defaults to loopback and one worker per core', () => {
    expect(defaults).toMatchObject({ listenIp: '127.0.0.1', workers: 2, rtcPort: 0 })
  })
  it('parses the documented flags', () => {
    expect(serve(parseServerArgs(['--listen', '0.0.0.0', '--announced-ip', '203.0.113.7', '--port', '40000', '--workers', '4'], defaults)).config).toMatchObject({
      listenIp: '0.0.0.0',
      announcedIp: '203.0.113.7',
      rtcPort: 40000,
      workers: 4
    })
  })
  it('--log-level sets the JSON log level (default info) and maps onto mediasoup\'s levels, which have no info', () => {
    expect(defaults.logLevel).toBe('info')
    expect(serve(parseServerArgs(['--log-level', 'debug'], defaults)).config.logLevel).toBe('debug')
    expect(() => parseServerArgs(['--log-level', 'verbose'], defaults)).toThrow(UsageError)
    expect((['debug', 'info', 'warn', 'error', 'none'] as const).map((l) => [mediasoupLogLevel(l), loggerLevel(l)])).toEqual([
      ['debug', 'debug'],
      ['warn', 'info'],
      ['warn', 'warn'],
      ['error', 'error'],
      ['none', 'silent']
    ])
  })
  it('explains bad flags with the usage line', () => {
    expect(() => parseServerArgs(['--port', 'eighty'], defaults)).toThrow(/expects a whole number[\s\S]*usage:[\s\S]*npm run server/)
    expect(() => parseServerArgs(['--port', '70000'], defaults)).toThrow(/rtcPort/)
    expect(() => parseServerArgs(['--workers', '0'], defaults)).toThrow(/workers/)
    expect(() => parseServerArgs(['--listen'], defaults)).toThrow(/--listen needs a value/)
    expect(() => parseServerArgs(['stray'], defaults)).toThrow(/unexpected argument "stray"/)
  })
  it('an unknown flag is a usage error (exit 2) naming it and the known ones', () => {
    let error: unknown
    try {
      parseServerArgs(['--frobnicate'], defaults)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).toMatch(/unknown option --frobnicate; known: --listen, --announced-ip, .*--allow-origin.*--client-providers/)
    expect(() => parseServerArgs(['token', '--ttl', '1h', '--listen', 'x'], defaults)).toThrow(/token: unknown option --listen; known: --ttl, --scope/)
  })
})

describe('--pipeline: the default pipeline for joins that do not name one', () => {
  const defaults = defaultBackendConfig(1)
  it('accepts echo and click, rejects anything else', () => {
    expect(defaults.defaultPipeline).toBeUndefined()
    expect(serve(parseServerArgs(['--pipeline', 'click'], defaults)).config.defaultPipeline).toBe('click')
    expect(serve(parseServerArgs(['--pipeline', 'echo'], defaults)).config.defaultPipeline).toBe('echo')
    expect(() => parseServerArgs(['--pipeline', 'karaoke'], defaults)).toThrow(/defaultPipeline[\s\S]*usage:/)
  })
})

describe('access, limits and liveness flags', () => {
  const defaults = defaultBackendConfig(1)
  it('defaults: no token file, only the app origin, no client providers, default limits and timeouts', () => {
    expect(serve(parseServerArgs([], defaults)).access).toEqual({ tokenSecretFile: null, allowOrigins: [], clientProviders: 'none', providersFile: null, limits: {}, timeouts: {}, sessionGraceMs: null })
  })
  it('parses repeatable --allow-origin, the provider policy, limits and timeouts', () => {
    const { access } = serve(
      parseServerArgs(
        ['--token-secret-file', '/etc/va/secret', '--allow-origin', 'https://voice.example.com', '--allow-origin', 'http://127.0.0.1:*', '--client-providers', 'public-https', '--providers', 'p.json',
          '--sessions-per-principal', '3', '--sessions-per-address', '5', '--join-burst', '4', '--joins-per-second', '0.5', '--connections-per-address', '9', '--max-sessions', '100',
          '--ping-interval-ms', '500', '--pong-timeout-ms', '400', '--idle-timeout-ms', '3000', '--session-grace-ms', '1000'],
        defaults
      )
    )
    expect(access).toEqual({
      tokenSecretFile: '/etc/va/secret',
      allowOrigins: ['https://voice.example.com', 'http://127.0.0.1:*'],
      clientProviders: 'public-https',
      providersFile: 'p.json',
      limits: { sessionsPerPrincipal: 3, sessionsPerAddress: 5, joinBurst: 4, joinsPerSecond: 0.5, connectionsPerAddress: 9, maxSessions: 100 },
      timeouts: { pingIntervalMs: 500, pongTimeoutMs: 400, idleTimeoutMs: 3000 },
      sessionGraceMs: 1000
    })
  })
  it('refuses values that make no sense', () => {
    expect(() => parseServerArgs(['--client-providers', 'some'], defaults)).toThrow(/none, public-https or any/)
    expect(() => parseServerArgs(['--allow-origin', 'https://x.example/path'], defaults)).toThrow(/is not an origin/)
    expect(() => parseServerArgs(['--allow-origin', '*'], defaults)).toThrow(/is not an origin/)
    expect(() => parseServerArgs(['--sessions-per-address', '0'], defaults)).toThrow(/at least 1/)
    expect(() => parseServerArgs(['--joins-per-second', '0'], defaults)).toThrow(/above zero/)
    expect(() => parseServerArgs(['--ping-interval-ms', '5'], defaults)).toThrow(/at least 50 ms/)
  })
})

describe('token and secret subcommands', () => {
  const defaults = defaultBackendConfig(1)
  it('token: --ttl is required; scopes are pipelines, repeatable or comma-separated', () => {
    expect(parseServerArgs(['token', '--ttl', '12h', '--scope', 'voice', '--scope', 'echo,voice', '--subject', 'alice'], defaults)).toEqual({
      command: 'token', subject: 'alice', ttlMs: 12 * 3_600_000, scope: ['voice', 'echo'], tokenSecretFile: null
    })
    expect(parseServerArgs(['token', '--ttl', '30m'], defaults)).toMatchObject({ command: 'token', ttlMs: 1_800_000, scope: [], subject: null })
    expect(() => parseServerArgs(['token'], defaults)).toThrow(/token needs --ttl/)
    expect(() => parseServerArgs(['token', '--ttl', 'soon'], defaults)).toThrow(/bad duration/)
    expect(() => parseServerArgs(['token', '--ttl', '1h', '--scope', 'admin'], defaults)).toThrow(/not a pipeline/)
  })
  it('secret: --out is optional', () => {
    expect(parseServerArgs(['secret'], defaults)).toEqual({ command: 'secret', out: null })
    expect(parseServerArgs(['secret', '--out', 's'], defaults)).toEqual({ command: 'secret', out: 's' })
  })
})

describe('listening beyond loopback needs a token secret', () => {
  it('knows loopback addresses', () => {
    for (const ip of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackAddress(ip), ip).toBe(true)
    for (const ip of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', '203.0.113.7', 'fe80::1']) expect(isLoopbackAddress(ip), ip).toBe(false)
  })
  it('refuses 0.0.0.0 without a secret, with the exact commands that make one', () => {
    const message = listenRefusal('0.0.0.0', false)!
    expect(message).toMatch(/refusing to listen on 0\.0\.0\.0 without a token secret/)
    expect(message).toContain('npm run server -- secret --out ./token-secret')
    expect(message).toContain('npm run server -- --listen 0.0.0.0 --token-secret-file ./token-secret')
    expect(message).toContain('npm run server -- token --ttl 12h')
    expect(listenRefusal('0.0.0.0', true)).toBeNull()
    expect(listenRefusal('127.0.0.1', false)).toBeNull()
  })
})

describe('--models-dir: where the on-device speech models are', () => {
  const defaults = defaultBackendConfig(1)
  it('is taken as given; without it, $VOICE_ASSISTANT_MODELS_DIR, else <user data>/models', () => {
    expect(defaults.modelsDir).toBeUndefined() // an in-process backend (tests, benches) has no on-device STT unless set
    expect(serve(parseServerArgs(['--models-dir', '/srv/models'], defaults)).config.modelsDir).toBe('/srv/models')
    expect(serve(parseServerArgs([], defaults, { VOICE_ASSISTANT_MODELS_DIR: '/env/models' })).config.modelsDir).toBe('/env/models')
    expect(serve(parseServerArgs([], defaults, { HOME: '/home/u', XDG_CONFIG_HOME: '/home/u/.config' })).config.modelsDir).toMatch(/Voice Assistant[/\\]models$/)
  })
  it('an empty folder name or a missing value is a usage error', () => {
    expect(() => parseServerArgs(['--models-dir', ''], defaults)).toThrow(/modelsDir/)
    expect(() => parseServerArgs(['--models-dir'], defaults)).toThrow(/--models-dir needs a value/)
  })
})

describe('--metrics-port / --metrics-listen: the Prometheus endpoint', () => {
  const defaults = defaultBackendConfig(2)
  it('off unless --metrics-port is given; on loopback unless --metrics-listen says otherwise', () => {
    expect(serve(parseServerArgs([], defaults)).metrics).toBeNull()
    expect(serve(parseServerArgs(['--metrics-port', '9464'], defaults)).metrics).toEqual({ port: 9464, listen: '127.0.0.1' })
    expect(serve(parseServerArgs(['--metrics-port', '0'], defaults)).metrics).toEqual({ port: 0, listen: '127.0.0.1' })
    expect(serve(parseServerArgs(['--metrics-port', '9464', '--metrics-listen', '10.0.0.5'], defaults)).metrics).toEqual({ port: 9464, listen: '10.0.0.5' })
    expect(serve(parseServerArgs(['--metrics-port', '9464', '--metrics-listen', '[::1]'], defaults)).metrics).toEqual({ port: 9464, listen: '::1' })
  })
  it('bad values are usage errors that say what is wrong', () => {
    expect(() => parseServerArgs(['--metrics-port', 'http'], defaults)).toThrow(/--metrics-port expects a whole number/)
    expect(() => parseServerArgs(['--metrics-port', '70000'], defaults)).toThrow(/--metrics-port must be a port number \(0-65535/)
    expect(() => parseServerArgs(['--metrics-listen', '0.0.0.0'], defaults)).toThrow(/--metrics-listen needs --metrics-port/)
    expect(() => parseServerArgs(['--metrics-port', '9464', '--metrics-listen', 'metrics.example.com'], defaults)).toThrow(/--metrics-listen expects an IP address/)
  })
  it('never the signaling port nor a worker’s RTC port', () => {
    expect(() => parseServerArgs(['--signaling-port', '8080', '--metrics-port', '8080'], defaults)).toThrow(/--metrics-port 8080 is the signaling port/)
    expect(() => parseServerArgs(['--port', '40000', '--workers', '2', '--metrics-port', '40001'], defaults)).toThrow(/one of the workers' RTC ports \(40000-40001\)/)
    expect(serve(parseServerArgs(['--port', '40000', '--workers', '2', '--metrics-port', '40002'], defaults)).metrics?.port).toBe(40002)
  })
})
