import { execFileSync, spawnSync } from 'node:child_process'

/**
 * Network namespaces for the multi-host relay test: client, relay, and two backend "hosts", each linked to the relay
 * namespace with a veth pair; the relay namespace routes between them. Only private addresses inside namespaces
 * this helper creates are used; teardown deletes the namespaces (which removes their veths).
 */
export interface NetnsTopology {
  ns: { client: string; relay: string; b1: string; b2: string }
  ip: { client: string; relayPublic: string; relayToB1: string; b1: string; relayToB2: string; b2: string }
  teardown(): void
}

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
const inNs = (ns: string, ...args: string[]): void => void execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })

/** Why namespaces cannot be used here, or null if they can (tries to create and delete one). */
export function netnsUnavailableReason(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN)'
  const probe = `va8probe${process.pid}`
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (add.status !== 0) return `ip netns add failed: ${(add.stderr || add.error?.message || '').trim()}`
  spawnSync('ip', ['netns', 'del', probe])
  return null
}

/** Why `tc netem` delays cannot be used (e.g. the kernel has no sch_netem), or null if they can. */
export function netemUnavailableReason(): string | null {
  const probe = `va8netem${process.pid}`
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return 'cannot create a namespace to probe netem'
  try {
    const r = spawnSync('ip', ['netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { encoding: 'utf8' })
    if (r.error) return `tc is not installed: ${r.error.message}`
    return r.status === 0 ? null : `tc netem unavailable: ${r.stderr.trim()} (the kernel lacks sch_netem)`
  } finally {
    spawnSync('ip', ['netns', 'del', probe])
  }
}

/** Build the topology; `delayMs` is the one-way netem delay on each backend link (applied on both ends), if netem works. */
export function createTopology(delayMs: { b1: number; b2: number } | null): NetnsTopology {
  const tag = (process.pid % 10000).toString()
  const ns = { client: `va8c${tag}`, relay: `va8r${tag}`, b1: `va8b1${tag}`, b2: `va8b2${tag}` }
  const addr = { client: '10.88.0.1', relayPublic: '10.88.0.2', relayToB1: '10.88.1.2', b1: '10.88.1.1', relayToB2: '10.88.2.2', b2: '10.88.2.1' }
  const teardown = (): void => {
    for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n])
  }
  try {
    for (const n of Object.values(ns)) {
      ip('netns', 'add', n)
      inNs(n, 'ip', 'link', 'set', 'lo', 'up')
    }
    const link = (a: string, aIf: string, aIp: string, b: string, bIf: string, bIp: string, net: number, delay: number): void => {
      ip('link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b)
      inNs(a, 'ip', 'addr', 'add', `${aIp}/24`, 'dev', aIf)
      inNs(b, 'ip', 'addr', 'add', `${bIp}/24`, 'dev', bIf)
      inNs(a, 'ip', 'link', 'set', aIf, 'up')
      inNs(b, 'ip', 'link', 'set', bIf, 'up')
      if (delayMs && delay > 0) {
        inNs(a, 'tc', 'qdisc', 'add', 'dev', aIf, 'root', 'netem', 'delay', `${delay}ms`)
        inNs(b, 'tc', 'qdisc', 'add', 'dev', bIf, 'root', 'netem', 'delay', `${delay}ms`)
      }
      void net
    }
    link(ns.client, 'vc0', addr.client, ns.relay, 'vr0', addr.relayPublic, 0, 0)
    link(ns.b1, 'vb1', addr.b1, ns.relay, 'vr1', addr.relayToB1, 1, delayMs?.b1 ?? 0)
    link(ns.b2, 'vb2', addr.b2, ns.relay, 'vr2', addr.relayToB2, 2, delayMs?.b2 ?? 0)
    inNs(ns.relay, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
    inNs(ns.client, 'ip', 'route', 'add', 'default', 'via', addr.relayPublic)
    inNs(ns.b1, 'ip', 'route', 'add', 'default', 'via', addr.relayToB1)
    inNs(ns.b2, 'ip', 'route', 'add', 'default', 'via', addr.relayToB2)
  } catch (error) {
    teardown()
    throw new Error(`could not build the namespace topology: ${(error as { stderr?: Buffer }).stderr?.toString() ?? String(error)}`, { cause: error })
  }
  return { ns, ip: addr, teardown }
}
