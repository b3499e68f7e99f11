/** RMS of a block of samples (full scale 1). */
export function blockRms(samples: Float32Array): number {
  let sum = 0
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!
  return Math.sqrt(sum / Math.max(1, samples.length))
}
