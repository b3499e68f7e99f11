/** Signal comparison for the media tests: decimation and best-lag normalized cross-correlation. */

export function decimate(x: ArrayLike<number>, factor: number): Float32Array {
  const out = new Float32Array(Math.floor(x.length / factor))
  for (let i = 0; i < out.length; i++) {
    let s = 0
    for (let k = 0; k < factor; k++) s += x[i * factor + k]!
    out[i] = s / factor
  }
  return out
}

function ncc(a: Float32Array, b: Float32Array, lag: number): number {
  // a[i] vs b[i + lag], over the overlap
  let sab = 0
  let saa = 0
  let sbb = 0
  const start = Math.max(0, -lag)
  const end = Math.min(a.length, b.length - lag)
  for (let i = start; i < end; i++) {
    const x = a[i]!
    const y = b[i + lag]!
    sab += x * y
    saa += x * x
    sbb += y * y
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0
}

/**
 * Where does `reference` appear in `signal`, and how well does it match? Coarse search on 8:1 decimated copies,
 * then refinement at full rate. Returns the lag (samples into `signal`) and the normalized correlation there.
 */
export function findReference(reference: Float32Array, signal: Float32Array): { lag: number; correlation: number } {
  const f = 8
  const ra = decimate(reference, f)
  const sa = decimate(signal, f)
  let best = { lag: 0, c: -Infinity }
  for (let lag = 0; lag + ra.length <= sa.length; lag++) {
    const c = ncc(ra, sa, lag)
    if (c > best.c) best = { lag, c }
  }
  let fine = { lag: best.lag * f, c: -Infinity }
  for (let lag = Math.max(0, best.lag * f - 2 * f); lag <= best.lag * f + 2 * f && lag + reference.length <= signal.length; lag++) {
    const c = ncc(reference, signal, lag)
    if (c > fine.c) fine = { lag, c }
  }
  return { lag: fine.lag, correlation: fine.c }
}

/** Place decoded 20 ms frames on one timeline by RTP timestamp (48 kHz), as Float32 −1..1. */
export function framesToTimeline(frames: Array<{ pcm: Int16Array; rtpTimestamp: number }>): Float32Array {
  if (frames.length === 0) return new Float32Array(0)
  const t0 = frames[0]!.rtpTimestamp
  let end = 0
  for (const f of frames) end = Math.max(end, ((f.rtpTimestamp - t0) >>> 0) + f.pcm.length)
  const out = new Float32Array(end)
  for (const f of frames) {
    const at = (f.rtpTimestamp - t0) >>> 0
    for (let i = 0; i < f.pcm.length; i++) out[at + i] = f.pcm[i]! / 32768
  }
  return out
}
