/**
 * Sizes and durations of a transfer in the words people read ("31.9 MB", "2 min 5 s"): the same in the terminal's
 * `npm run models` progress line and the window's first-run setup.
 */

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`
  return `${(bytes / 1e9).toFixed(2)} GB`
}

export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/** "2.1 MB/s · 9 s left", or what is known so far ("measuring speed…" before two samples). */
export function formatRate(bytesPerSecond: number | null, secondsLeft: number | null): string {
  if (bytesPerSecond === null) return 'measuring speed…'
  const speed = `${formatBytes(Math.round(bytesPerSecond))}/s`
  return secondsLeft === null ? `${speed} · time left unknown` : `${speed} · ${formatDuration(secondsLeft)} left`
}
