import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { RelayStats } from '../src/shared/contract/relay'
import { RelayRegistrar } from '../src/server/relay/registrar'
import { spawnRelay, type RelayProcess } from '../test/helpers/relay-process'
import { pct, round, rssMb } from './_proc'
import { repeated, sleep, tally, underAttack, type AttackReport, type LegitClient } from './_abuseHarness'
import { check, closeSocket, passwordOf, udp, type FloodRequest } from './_abuseRelayFlooder'

/**
 * relay_flow_flood: the edge relay (its own process, under `ulimit -n <descriptor limit>` as the probe of issue 14 ran
 * it, default flow limits) while flows are opened with real, correctly signed ICE binding requests, each from its own
 * source port (every UDP flow costs the relay a socket). One round, three phases of `flows` flows each:
 *   one_session     one client (127.0.0.2) with one session's ICE credentials: the per-ufrag cap evicts
 *   many_sessions   the same client with `ufrags` sessions' credentials: the per-address cap refuses
 *   many_addresses  `addresses` clients (127.0.1.x) together: the table fills, and must still take newcomers
 * Rounds repeat until `minAttackMs` have passed (at most 20). A stand-in worker in this process echoes every datagram.
 * The legitimate side, meanwhile: a client (127.0.0.3) that opened its flow before the attack sends RTP-like packets
 * every 20 ms, each stamped with this process's monotonic clock, so the worker measures client → relay → worker one
 * way; once a second, a newcomer (a fresh address in 127.0.2.x each time) opens a flow and a new backend opens a
 * control connection (hello + stats). RSS is the relay process's. The attacker runs in a process of its own
 * (_abuseRelayFlooder.ts): with it in this one, binding and closing 900 sockets at a time stalled the legitimate
 * client's sender too (162 of 255 packets sent in 5 s, forward p95 185 ms). The forwarding figure is the relay's delay
 * plus scheduling on a shared machine; the quiet second before the attack is the reference.
 */
export interface RelayFloodOptions {
  flows: number
  ufrags: number
  addresses: number
  descriptorLimit: number
  minAttackMs: number
  onCleanup: (cleanup: () => Promise<void>) => void
}

export interface LegitMedia {
  packetsSent: number
  /** Reached the worker through the relay. */
  packetsDelivered: number
  /** Came back to the client (worker → relay → client as well). */
  packetsEchoed: number
  /** Client → relay → worker, one way, during the attack and in the second before it. */
  forwardMsP50: number
  forwardMsP95: number
  quietForwardMsP50: number
  quietForwardMsP95: number
  /** A new client's flow: its binding request answered within 1 s. */
  newFlows: number
  newFlowsFailed: number
  /** A new backend's control connection: connect, hello, stats within 3 s. */
  controlConnects: number
  controlFailed: number
  controlConnectMsP50: number
  failures: Record<string, number>
}

const TOKEN = randomBytes(24).toString('base64url')
const repo = join(import.meta.dirname, '..')

/** Stop the relay (SIGTERM: it logs its final stats; SIGKILL after 3 s) and wait for its exit. */
async function stopRelay(relay: RelayProcess): Promise<void> {
  const { proc } = relay
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise((r) => proc.once('exit', r))
  const kill = setTimeout(() => proc.kill('SIGKILL'), 3000)
  proc.kill('SIGTERM')
  await exited
  clearTimeout(kill)
}

/** Relay counters that moved between two stats: dropped packets by reason, and flows evicted and opened. */
function delta(before: RelayStats, after: RelayStats) {
  const dropped: Record<string, number> = {}
  for (const [reason, n] of Object.entries(after.dropped)) if (n > (before.dropped[reason] ?? 0)) dropped[reason] = n - (before.dropped[reason] ?? 0)
  return { dropped, evicted: after.flowsEvicted - before.flowsEvicted, opened: after.flowsOpened - before.flowsOpened }
}

export async function relayFlowFlood(o: RelayFloodOptions): Promise<AttackReport<LegitMedia>> {
  const cleanups: Array<() => Promise<void> | void> = []
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c()
  }
  o.onCleanup(cleanup)
  try {
    // --- the stand-in worker: answers every datagram by echoing it; media packets carry their send time at bytes 12..20.
    const worker = await udp('127.0.0.1')
    cleanups.push(() => closeSocket(worker))
    const arrivalMs = new Map<number, number>()
    worker.on('message', (m, r) => {
      if (m[0]! > 3 && m.length >= 20) arrivalMs.set(m.readUInt16BE(2), Number(process.hrtime.bigint() - m.readBigUInt64BE(12)) / 1e6)
      worker.send(m, r.port, r.address)
    })
    const workerPort = worker.address().port

    const relay = await spawnRelay({
      token: TOKEN,
      prefix: ['bash', '-c', `ulimit -n ${o.descriptorLimit} && exec "$0" "$@"`],
      args: ['--listen', '127.0.0.1', '--port', '0', '--control', '127.0.0.1:0']
    })
    cleanups.push(() => stopRelay(relay))
    const relayPort = relay.publicUdp.port
    const relayPid = relay.proc.pid!
    const registrar = (backendId: string): RelayRegistrar => {
      const reg = new RelayRegistrar({ controlUrl: relay.controlUrl, token: TOKEN, backendId })
      reg.start()
      return reg
    }
    const backend = registrar('b1')
    cleanups.push(() => backend.close())
    await backend.ready(5000)
    const attackerUfrags = Array.from({ length: o.ufrags }, (_, i) => `atk${String(i).padStart(3, '0')}`)
    await backend.upsertMany([...attackerUfrags, 'victim01', 'newcomer'].map((ufrag) => ({ ufrag, password: passwordOf(ufrag), target: { host: '127.0.0.1', port: workerPort } })))
    const stats = (): Promise<RelayStats> => backend.request('stats', {})
    const limitsLine = relay.logs.find((l) => l.includes('relay limits:'))?.replace(/^.*relay limits: /, '') ?? null
    console.log(`abuse: relay pid ${relayPid} (ulimit -n ${o.descriptorLimit}): ${limitsLine}`)

    // --- the legitimate client's flow, opened before the attack, and one quiet second of media as the reference.
    const victim = await udp('127.0.0.3')
    cleanups.push(() => closeSocket(victim))
    const echoed = new Set<number>()
    let victimStunAnswers = 0
    victim.on('message', (m) => (m[0]! > 3 ? echoed.add(m.readUInt16BE(2)) : victimStunAnswers++))
    for (let i = 0; i < 20 && victimStunAnswers === 0; i++) {
      victim.send(check('victim01'), relayPort, '127.0.0.1')
      await sleep(100)
    }
    if (victimStunAnswers === 0) throw new Error('the legitimate client got no flow through the relay before the attack')
    let seq = 0
    const sendMedia = (): void => {
      const b = Buffer.alloc(100)
      b[0] = 0x80
      b[1] = 111
      b.writeUInt16BE(seq++ & 0xffff, 2)
      b.writeBigUInt64BE(process.hrtime.bigint(), 12)
      victim.send(b, relayPort, '127.0.0.1')
    }
    const forwardMs = (from: number, to: number): number[] => {
      const out: number[] = []
      for (let s = from; s < to; s++) {
        const ms = arrivalMs.get(s & 0xffff)
        if (ms !== undefined) out.push(ms)
      }
      return out
    }
    for (let i = 0; i < 50; i++) {
      sendMedia()
      await sleep(20)
    }
    await sleep(200)
    const quiet = forwardMs(0, seq)

    const legitMedia = (): LegitClient<LegitMedia> => {
      arrivalMs.clear()
      echoed.clear()
      const first = seq
      const failures: Record<string, number> = {}
      const controlMs: number[] = []
      let newFlows = 0
      let probes = 0
      const media = setInterval(sendMedia, 20)
      let running = true
      const probeLoop = (async () => {
        while (running) {
          const t0 = performance.now()
          probes++
          // A newcomer: a client not seen before (its own address). One address for every probe would make the
          // newcomer itself a heavy client (each probe's flow stays until idle), which the full table rightly refuses.
          const newcomer = await udp(`127.0.2.${(probes % 250) + 1}`)
          let answered = false
          newcomer.on('message', () => (answered = true))
          for (let i = 0; i < 10 && !answered; i++) {
            newcomer.send(check('newcomer'), relayPort, '127.0.0.1')
            await sleep(100)
          }
          await closeSocket(newcomer)
          if (answered) newFlows++
          else tally(failures, 'newcomer flow not answered within 1 s')
          // A new backend's control connection.
          const probe = registrar(`probe${probes}`)
          const c0 = performance.now()
          try {
            await probe.ready(3000)
            await probe.request('stats', {})
            controlMs.push(performance.now() - c0)
          } catch (error) {
            tally(failures, `control: ${(error as Error).message.slice(0, 60)}`)
          } finally {
            probe.close()
          }
          await sleep(Math.max(0, 1000 - (performance.now() - t0)))
        }
      })()
      return {
        async stop() {
          running = false
          clearInterval(media)
          await probeLoop
          await sleep(200)
          const sent = seq - first
          const during = forwardMs(first, seq)
          let back = 0
          for (let s = first; s < seq; s++) if (echoed.has(s & 0xffff)) back++
          return {
            packetsSent: sent,
            packetsDelivered: during.length,
            packetsEchoed: back,
            forwardMsP50: round(pct(during, 50), 2),
            forwardMsP95: round(pct(during, 95), 2),
            quietForwardMsP50: round(pct(quiet, 50), 2),
            quietForwardMsP95: round(pct(quiet, 95), 2),
            newFlows,
            newFlowsFailed: probes - newFlows,
            controlConnects: controlMs.length,
            controlFailed: probes - controlMs.length,
            controlConnectMsP50: round(pct(controlMs, 50)),
            failures
          }
        },
        describe: (r) =>
          `media ${r.packetsDelivered}/${r.packetsSent} delivered (${r.packetsEchoed} echoed), forward p50 ${r.forwardMsP50} ms p95 ${r.forwardMsP95} ms ` +
          `(quiet ${r.quietForwardMsP50}/${r.quietForwardMsP95}); new flows ${r.newFlows}/${r.newFlows + r.newFlowsFailed}; control connections ${r.controlConnects}/${r.controlConnects + r.controlFailed}`
      }
    }

    // The attacker: its own process (see _abuseRelayFlooder.ts), one flood per request.
    const attacker = fork(join(repo, 'bench', '_abuseRelayFlooder.ts'), [], { cwd: repo, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const attackerExited = new Promise((r) => attacker.once('exit', r))
    cleanups.push(async () => {
      if (attacker.exitCode === null && attacker.signalCode === null) attacker.kill('SIGKILL')
      await attackerExited
    })
    await new Promise<void>((resolve, reject) => {
      attacker.once('message', () => resolve())
      attacker.once('exit', (code) => reject(new Error(`the attacker process exited (${code}) before it was ready`)))
    })
    const flood = (bindIps: string[], ufrags: string[], count: number): Promise<number> =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null): void => reject(new Error(`the attacker process exited (${code})`))
        attacker.once('exit', onExit)
        attacker.once('message', (m: { answered: number }) => (attacker.off('exit', onExit), resolve(m.answered)))
        attacker.send({ relayPort, bindIps, ufrags, count } satisfies FloodRequest)
      })
    const phases = {
      one_session: { ips: ['127.0.0.2'], ufrags: attackerUfrags.slice(0, 1) },
      many_sessions: { ips: ['127.0.0.2'], ufrags: attackerUfrags },
      many_addresses: { ips: Array.from({ length: o.addresses }, (_, a) => `127.0.1.${a + 1}`), ufrags: attackerUfrags }
    }
    /** Per phase, summed over rounds; flowsHeldAfter has one entry per round (the relay's table after that phase). */
    type PhaseFigures = { attempts: number; answered: number; flowsHeldAfter: number[]; evicted: number; refused: Record<string, number> }
    const perPhase: Record<string, PhaseFigures> = {}
    let flowsHeldMax = 0
    const start = await stats()
    const floodRound = async () => {
      let attempts = 0
      let accepted = 0
      for (const [name, phase] of Object.entries(phases)) {
        const before = await stats()
        const answered = await flood(phase.ips, phase.ufrags, o.flows)
        const after = await stats()
        const d = delta(before, after)
        const p = (perPhase[name] ??= { attempts: 0, answered: 0, flowsHeldAfter: [], evicted: 0, refused: {} })
        p.attempts += o.flows
        p.answered += answered
        p.flowsHeldAfter.push(after.flows)
        p.evicted += d.evicted
        for (const [k, v] of Object.entries(d.dropped)) tally(p.refused, k, v)
        flowsHeldMax = Math.max(flowsHeldMax, after.flows)
        attempts += o.flows
        accepted += answered
      }
      return { refused: {}, accepted, attempts }
    }
    const report = await underAttack('relay_flow_flood', async () => {
      const r = await repeated(floodRound, o.minAttackMs)()
      const end = await stats()
      const d = delta(start, end)
      return {
        ...r,
        // The relay's own count of what it dropped, by reason, over the whole attack (a legitimate packet dropped would count here too).
        refused: d.dropped,
        flowsHeldMax,
        flowsHeldAfter: end.flows,
        flowsEvicted: d.evicted,
        flowsOpened: d.opened,
        limits: end.limits,
        descriptorLimit: o.descriptorLimit,
        phases: perPhase
      }
    }, { rssMb: () => rssMb(relayPid) ?? 0, legit: legitMedia })
    const descriptorErrors = relay.logs.filter((l) => /EMFILE|ENFILE/.test(l)).length
    return { ...report, descriptorErrors, relayAlive: relay.proc.exitCode === null && relay.proc.signalCode === null }
  } finally {
    await cleanup()
  }
}
