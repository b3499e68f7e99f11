import { round } from './_proc'

/**
 * What every attack of bench abuse shares: bounded concurrency, the repeat-until-enough-time loop, and underAttack,
 * which runs one attack while the target's memory is sampled and a legitimate client does its ordinary work.
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export const tally = (m: Record<string, number>, key: string, by = 1): void => void (m[key] = (m[key] ?? 0) + by)

/** Run `task(0..n-1)` with at most `width` at a time. */
export async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) {
      const i = next++
      out[i] = await task(i)
    }
  }))
  return out
}

/** What an attack reports: refusals by kind, attempts that got through, and anything specific to it. */
export type AttackResult = { refused: Record<string, number>; accepted: number; attempts: number } & { [detail: string]: unknown }
export type AttackReport<L = unknown> = AttackResult & { durationMs: number; rssBaselineMb: number; rssPeakMb: number; legit: L }

/** A legitimate client at work while an attack runs: started by underAttack, stopped (and asked for its figures) after. */
export interface LegitClient<L> {
  stop(): Promise<L>
  /** One human line of its figures. */
  describe(report: L): string
}

/** Repeat a bounded round until `minMs` have passed (at most `maxRounds`), adding up its counts. */
export function repeated(round: () => Promise<AttackResult>, minMs: number, maxRounds = 20): () => Promise<AttackResult> {
  return async () => {
    const t0 = performance.now()
    const total: AttackResult & { rounds: number } = { refused: {}, accepted: 0, attempts: 0, rounds: 0 }
    do {
      const r = await round()
      for (const [k, v] of Object.entries(r.refused)) tally(total.refused, k, v)
      total.accepted += r.accepted
      total.attempts += r.attempts
      total.rounds++
      for (const [k, v] of Object.entries(r)) if (!(k in total)) total[k] = v
    } while (performance.now() - t0 < minMs && total.rounds < maxRounds)
    return total
  }
}

/**
 * Run `attack` while `target.rssMb()` is sampled every 200 ms (baseline before, peak during) and the legitimate client
 * from `target.legit()` works; print one line and return the report.
 */
export async function underAttack<L>(
  name: string,
  attack: () => Promise<AttackResult>,
  target: { rssMb: () => number; legit: () => LegitClient<L> }
): Promise<AttackReport<L>> {
  const rssBaselineMb = target.rssMb()
  let rssPeakMb = rssBaselineMb
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, target.rssMb())), 200)
  const legit = target.legit()
  const t0 = performance.now()
  let result: AttackResult
  try {
    result = await attack()
  } finally {
    clearInterval(sampler)
  }
  const durationMs = performance.now() - t0
  rssPeakMb = Math.max(rssPeakMb, target.rssMb())
  const legitReport = await legit.stop()
  const report: AttackReport<L> = { ...result, durationMs: Math.round(durationMs), rssBaselineMb: round(rssBaselineMb), rssPeakMb: round(rssPeakMb), legit: legitReport }
  console.log(
    `${name.padEnd(16)} refused ${JSON.stringify(report.refused)}, accepted ${report.accepted} of ${report.attempts}; ${(report.durationMs / 1000).toFixed(1)} s; ` +
      `RSS ${report.rssBaselineMb} → peak ${report.rssPeakMb} MB; legitimate: ${legit.describe(legitReport)}`
  )
  return report
}
