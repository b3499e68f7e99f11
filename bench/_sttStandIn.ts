/**
 * The benches' on-device STT models: architecture-sized Moonshine stand-ins (test/helpers/moonshineStandIn.ts: the
 * published layer counts, widths, heads, feed-forward sizes and vocabulary, random 8-bit weights), generated once
 * into .cache/stt-standins/ (again when the generator changes), and installed into a models folder the way the model
 * manager leaves a model, so the backend's on-device STT uses one as it would the real download.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeMoonshineStandIn, type MoonshineArchitecture } from '../test/helpers/moonshineStandIn'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const CACHE = join(REPO, '.cache', 'stt-standins')
const GENERATOR = join(REPO, 'test', 'helpers', 'moonshineStandIn.ts')

export interface StandIn {
  dir: string
  parameters: number
  generated: boolean
}

/** The stand-in's folder, generated when missing or made by another version of the generator. */
export async function standIn(arch: MoonshineArchitecture, opts: { regenerate?: boolean } = {}): Promise<StandIn> {
  const generator = createHash('sha256').update(await readFile(GENERATOR)).digest('hex').slice(0, 16)
  const dir = join(CACHE, arch.name)
  const stamp = join(dir, 'stand-in.json')
  if (!opts.regenerate && existsSync(stamp)) {
    const made = JSON.parse(await readFile(stamp, 'utf8')) as { generator: string; parameters: number }
    if (made.generator === generator) return { dir, parameters: made.parameters, generated: false }
  }
  // Built next to the destination and renamed into place, so an interrupted run never leaves half a model.
  const staging = `${dir}.partial-${process.pid}`
  await rm(staging, { recursive: true, force: true })
  const written = await writeMoonshineStandIn(staging, arch)
  await writeFile(join(staging, 'stand-in.json'), JSON.stringify({ generator, architecture: arch, parameters: written.parameters }, null, 2))
  await mkdir(CACHE, { recursive: true })
  await rm(dir, { recursive: true, force: true })
  await rename(staging, dir)
  return { dir, parameters: written.parameters, generated: true }
}

/**
 * Install the stand-in of `arch` into `<modelsDir>/<catalogId>` with the manifest that makes a model installed (the
 * backend's on-device STT then uses it as that catalog model, e.g. moonshine-tiny-q8).
 */
export async function installStandIn(modelsDir: string, arch: MoonshineArchitecture, catalogId: string): Promise<StandIn> {
  const made = await standIn(arch)
  const target = join(modelsDir, catalogId)
  await rm(target, { recursive: true, force: true })
  await cp(made.dir, target, { recursive: true })
  await writeFile(join(target, 'manifest.json'), JSON.stringify({ id: catalogId, name: `${arch.name} stand-in (random weights)`, engine: 'moonshine', revision: 'stand-in', installedAt: new Date().toISOString(), files: [] }))
  return made
}

/** Deterministic speech-like audio: a voiced buzz with a moving pitch, syllable-rate envelope, a little noise. */
export function syntheticAudio(seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * 16000))
  let phase = 0
  let seed = 12345
  for (let i = 0; i < out.length; i++) {
    const t = i / 16000
    phase += (2 * Math.PI * (120 + 30 * Math.sin(2 * Math.PI * 0.7 * t))) / 16000
    seed = (seed * 1103515245 + 12345) >>> 0
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t)
    out[i] = 0.3 * envelope * (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase)) + 0.01 * (seed / 2 ** 32 - 0.5)
  }
  return out
}
