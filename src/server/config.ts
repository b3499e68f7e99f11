import { z } from 'zod'
import { sessionPipelineSchema } from '../shared/contract/signaling'

/** Backend configuration: from CLI flags (standalone) or from the app's launcher (embedded, loopback). */
export const backendConfigSchema = z.object({
  /** Address the WebRTC server and signaling listen on. */
  listenIp: z.string().min(1),
  /** Address put into ICE candidates (the public/relay address); defaults to listenIp. */
  announcedIp: z.string().min(1).nullable(),
  /** The single RTC port of the first worker's WebRtcServer (UDP + TCP); worker i uses rtcPort + i. 0 = pick free. */
  rtcPort: z.number().int().min(0).max(65535),
  /** Signaling WebSocket port; 0 = pick a free one. */
  signalingPort: z.number().int().min(0).max(65535),
  /** Number of mediasoup workers; default one per core. */
  workers: z.number().int().min(1).max(64),
  logLevel: z.enum(['debug', 'warn', 'error', 'none']),
  /** Pipeline for joins that do not name one (`--pipeline echo|click`); unset = the session manager's default (echo). */
  defaultPipeline: sessionPipelineSchema.optional()
})
export type BackendConfig = z.infer<typeof backendConfigSchema>

export function defaultBackendConfig(cpuCount: number): BackendConfig {
  return { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: Math.max(1, cpuCount), logLevel: 'warn' }
}

const USAGE = `usage: npm run server -- [--listen <ip>] [--announced-ip <ip>] [--port <rtc-port>] [--signaling-port <port>] [--workers <n>] [--log-level debug|warn|error|none] [--pipeline ${sessionPipelineSchema.options.join('|')}]`

/** Parse standalone CLI flags. Throws an Error whose message includes the usage line. */
export function parseBackendArgs(argv: string[], defaults: BackendConfig): BackendConfig {
  const out: Record<string, unknown> = { ...defaults }
  const flags: Record<string, [key: keyof BackendConfig, kind: 'string' | 'int']> = {
    '--listen': ['listenIp', 'string'],
    '--announced-ip': ['announcedIp', 'string'],
    '--port': ['rtcPort', 'int'],
    '--signaling-port': ['signalingPort', 'int'],
    '--workers': ['workers', 'int'],
    '--log-level': ['logLevel', 'string'],
    '--pipeline': ['defaultPipeline', 'string']
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') throw new Error(USAGE)
    const spec = flags[arg]
    if (!spec) throw new Error(`unknown option ${arg}\n${USAGE}`)
    const value = argv[++i]
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`)
    if (spec[1] === 'int') {
      if (!/^\d+$/.test(value)) throw new Error(`${arg} expects a whole number, got ${JSON.stringify(value)}\n${USAGE}`)
      out[spec[0]] = Number(value)
    } else out[spec[0]] = value
  }
  const parsed = backendConfigSchema.safeParse(out)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid server options: ${lines.join('; ')}\n${USAGE}`)
  }
  return parsed.data
}
