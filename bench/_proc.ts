import { readFileSync, readdirSync } from 'node:fs'
import { percentile } from '../src/shared/latency/stats'

/** Resident set size of a process in MB, from /proc (Linux); null when it cannot be read. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

/** Every descendant of `pid` (children, grandchildren, …), from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parentOf.set(Number(entry), ppid)
    } catch {
      // process ended while scanning
    }
  }
  const out: number[] = []
  const queue = [pid]
  while (queue.length) {
    const p = queue.shift()!
    for (const [child, parent] of parentOf) if (parent === p) {
      out.push(child)
      queue.push(child)
    }
  }
  return out
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
  } catch {
    return ''
  }
}

/** A bench figure: the project's percentile (src/shared/latency/stats.ts, p in 0–100) as a number; NaN when there are
 * no values, which JSON prints as null. */
export const pct = (values: readonly number[], p: number): number => percentile(values, p) ?? Number.NaN

export const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits
