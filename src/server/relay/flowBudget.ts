import { readFileSync } from 'node:fs'

/**
 * How many flows the relay may hold, from its file-descriptor limit. Every UDP flow owns one upstream socket and
 * every ICE-TCP connection two (client + upstream), so without a cap a flood of flows takes the last descriptor and
 * then nothing works: the probe's relay (`ulimit -n` 1024) reached its limit at 676 flows of one client, a second
 * client's media was no longer forwarded and the control channel's connection was reset (accept failed).
 *
 * A reserve stays free for what must keep working when the flow table is full: the process itself (stdio, the event
 * loop, the two public sockets), the control channel's server and its backends' connections, and connections being
 * accepted before they are refused.
 */
export interface FlowBudget {
  /** The soft RLIMIT_NOFILE this was derived from (null: unknown, the defaults below apply). */
  descriptorLimit: number | null
  /** Descriptors never given to flows. */
  reserved: number
  /** UDP flows (one descriptor each). */
  maxFlows: number
  /** ICE-TCP connections, counted from accept (two descriptors each once connected upstream). */
  maxTcpConnections: number
}

/** Descriptors kept free: 64 or a tenth of the limit, whichever is more (Node itself holds about 20 at start). */
export const MIN_RESERVED_DESCRIPTORS = 64

/** Without a known limit (not Linux): the common default soft limit. */
const ASSUMED_DESCRIPTOR_LIMIT = 1024

export function flowBudget(descriptorLimit: number | null): FlowBudget {
  const limit = descriptorLimit ?? ASSUMED_DESCRIPTOR_LIMIT
  const reserved = Math.min(limit, Math.max(MIN_RESERVED_DESCRIPTORS, Math.ceil(limit / 10)))
  const available = limit - reserved
  // ICE-TCP is the fallback transport: an eighth of the budget (two descriptors per connection), the rest is UDP.
  const maxTcpConnections = Math.floor(available / 16)
  return { descriptorLimit, reserved, maxFlows: Math.max(0, available - 2 * maxTcpConnections), maxTcpConnections }
}

/** The soft limit on open files of this process (Linux: /proc/self/limits), or null where it cannot be read. */
export function readDescriptorLimit(read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(read('/proc/self/limits'))
    if (!m) return null
    return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1])
  } catch {
    return null
  }
}
