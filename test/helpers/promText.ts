/**
 * Prometheus text format → samples (name + labels → value), enough to check what a scrape says: `value(text,
 * 'x_bucket', { le: '0.5' })`. Comment lines are skipped; a line that is not a sample is an error.
 */
export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

export function parsePromText(text: string): PromSample[] {
  const samples: PromSample[] = []
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line)
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]) })
  }
  return samples
}

/** The value of the one sample with this name whose labels include `labels`; undefined when there is none. */
export function promValue(samples: PromSample[] | string, name: string, labels: Record<string, string> = {}): number | undefined {
  const list = typeof samples === 'string' ? parsePromText(samples) : samples
  const found = list.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length > 1) throw new Error(`${found.length} samples named ${name} with ${JSON.stringify(labels)}`)
  return found[0]?.value
}
