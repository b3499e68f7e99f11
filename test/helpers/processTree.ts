import { readdirSync, readFileSync } from 'node:fs'

export interface ProcessInfo {
  pid: number
  ppid: number
  /** argv joined by spaces (from /proc/<pid>/cmdline). */
  cmdline: string
}

/** Every live process on this machine (Linux /proc), skipping those that vanish while being read and zombies. */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // comm may contain spaces and parentheses: the fields after the last ')' are fixed.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (rest[0] === 'Z') continue
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
      out.push({ pid: Number(name), ppid: Number(rest[1]), cmdline })
    } catch {
      // exited meanwhile
    }
  }
  return out
}

/** The live descendants of `root` (children, grandchildren, …), real processes counted from /proc. */
export function descendants(root = process.pid): ProcessInfo[] {
  const all = listProcesses()
  const byParent = new Map<number, ProcessInfo[]>()
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p])
  const out: ProcessInfo[] = []
  const queue = [root]
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child)
      queue.push(child.pid)
    }
  }
  return out
}

/** Backends (src/server/main.ts or out/main/server.js) and mediasoup workers under `root`. */
export function backendProcesses(root = process.pid): { backends: ProcessInfo[]; workers: ProcessInfo[] } {
  const tree = descendants(root)
  return {
    backends: tree.filter((p) => /src\/server\/main\.ts|out\/main\/server\.js/.test(p.cmdline)),
    workers: tree.filter((p) => /mediasoup-worker/.test(p.cmdline))
  }
}
