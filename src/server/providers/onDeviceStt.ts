import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadCatalog, type Catalog, type CatalogModel } from '../../node/models/catalog'
import { SttError } from '../../node/stt/engine'
import { SttService, type SttServiceResult } from '../../node/stt/sttService'
import { ProviderError } from './errors'
import type { CallOptions, PcmAudio, SttProvider, SttTranscript } from './types'
import type { Logger } from '../../shared/logging/logger'

/**
 * The backend's on-device speech recognition as an STT provider: Moonshine (src/node/stt, the same engine the app
 * uses) on ONE SttService per backend process, i.e. one worker thread that every voice session's utterances queue
 * for, so decoding never runs on the thread that decodes the uplink and paces replies. The VoiceRuntime owns it; the
 * worker starts at the first utterance and stops with the runtime.
 *
 * Which model: the catalog's default when it is installed in the models folder, else the first installed one (a model
 * is installed when `<modelsDir>/<id>/manifest.json` names it: ModelManager writes it last, in its atomic install).
 * The folder is looked at again at every utterance start (`refresh`, one small file read per catalog model), so a
 * model installed while the backend runs (the app's setup, `npm run models -- install`) is used from the next turn
 * with no restart, and one removed stops being offered. While none is installed, `available()` is false and the
 * failover chains leave this provider out.
 */

export interface OnDeviceSttOptions {
  /** The models folder (the app's `<userData>/models`, or the standalone backend's `--models-dir`). */
  modelsDir: string
  /** The model catalog; resources/models/catalog.json by default. */
  catalog?: Catalog
  /** The process's SttService (made at the first utterance by default, over `workerPath`). */
  service?: SttService
  /** The STT worker's module; by default the built sttWorker.js next to the backend bundle, else the source. */
  workerPath?: string
  logger?: Logger
  /** Every finished transcription, with its queue wait and compute (benches, status lines). */
  onResult?: (result: OnDeviceResult) => void
  /** A refresh older than this is repeated by `available()` (the per-utterance refresh normally comes first). */
  maxStaleMs?: number
  now?: () => number
}

export interface OnDeviceResult extends SttServiceResult {
  modelId: string
}

export interface InstalledModel {
  id: string
  /** "Moonshine Tiny": the catalog name without its "(English, 8-bit)" details. */
  shortName: string
  dir: string
}

export const STT_WORKER_BUNDLE = 'sttWorker.js'

/**
 * The STT worker's module for the backend: the built `sttWorker.js` entry next to the backend bundle (this module may
 * sit in out/main or out/main/chunks), else undefined (SttService then runs the TypeScript source, under tsx and tests).
 */
export function resolveSttWorkerPath(moduleUrl: string = import.meta.url, exists: (p: string) => boolean = existsSync): string | undefined {
  const here = dirname(fileURLToPath(moduleUrl))
  if (moduleUrl.endsWith('.ts')) return undefined
  for (const dir of [here, dirname(here)]) {
    const built = join(dir, STT_WORKER_BUNDLE)
    if (exists(built)) return built
  }
  return undefined
}

/** What the user is told when a turn has no speech-to-text at all (nothing configured, no model installed). */
export function noSpeechToTextMessage(modelsDir: string | null): string {
  if (modelsDir === null) return 'No speech-to-text provider is configured for the voice loop: set one in Settings → Providers.'
  return `No speech-to-text is available: install the on-device speech model (the Local speech recognition panel's Download, or \`npm run models -- install --models-dir "${modelsDir}"\`), or set a speech-to-text provider in Settings → Providers.`
}

export function shortModelName(model: CatalogModel): string {
  return model.name.replace(/\s*\(.*\)\s*$/, '').trim() || model.id
}

const DEFAULT_MAX_STALE_MS = 2000

export class OnDeviceStt implements SttProvider {
  readonly stage = 'stt' as const
  readonly id = 'on-device'
  private catalog: Catalog | null
  private catalogError: string | null = null
  private service: SttService | null
  private installed: InstalledModel | null = null
  private checkedAt = -Infinity
  private checking: Promise<InstalledModel | null> | null = null
  /** The model folder the worker was last warmed up for. */
  private warmedFor: string | null = null
  private closed = false
  private readonly now: () => number

  constructor(private readonly opts: OnDeviceSttOptions) {
    this.catalog = opts.catalog ?? null
    this.service = opts.service ?? null
    this.now = opts.now ?? (() => performance.now())
  }

  get modelsDir(): string {
    return this.opts.modelsDir
  }

  /** "on-device Moonshine Tiny": the engine and the model it uses now (what the overlay's provider line shows). */
  get label(): string {
    return this.installed ? `on-device ${this.installed.shortName}` : 'on-device speech recognition (no model installed)'
  }

  /** The model in use, as last seen in the folder. */
  get model(): InstalledModel | null {
    return this.installed
  }

  /** Whether a model was installed when the folder was last looked at (looked at again when that is old). */
  available(): boolean {
    if (this.closed) return false
    if (this.now() - this.checkedAt > (this.opts.maxStaleMs ?? DEFAULT_MAX_STALE_MS)) void this.refresh()
    return this.installed !== null
  }

  /** Look at the models folder now (one manifest read per catalog model); resolves with the model to use. */
  refresh(): Promise<InstalledModel | null> {
    this.checking ??= this.findInstalled()
      .then((found) => {
        if (found?.id !== this.installed?.id) {
          if (found) this.opts.logger?.info('on-device STT model found', { model: found.id, dir: found.dir })
          else this.opts.logger?.info('no on-device STT model installed', { modelsDir: this.opts.modelsDir })
        }
        this.installed = found
        this.checkedAt = this.now()
        return found
      })
      .finally(() => {
        this.checking = null
      })
    return this.checking
  }

  async transcribe(audio: PcmAudio, opts: CallOptions): Promise<SttTranscript> {
    if (this.closed) throw new ProviderError('unavailable', 'on-device speech recognition is stopped')
    if (audio.sampleRate !== 16_000) throw new ProviderError('bad_response', `on-device speech recognition takes 16 kHz audio, not ${audio.sampleRate} Hz`)
    const model = await this.refresh()
    if (!model) throw new ProviderError('unavailable', noSpeechToTextMessage(this.opts.modelsDir))
    const samples = new Float32Array(audio.samples.length)
    for (let i = 0; i < samples.length; i++) samples[i] = audio.samples[i]! / 32768
    this.service ??= new SttService({ workerPath: this.opts.workerPath ?? resolveSttWorkerPath(), logger: this.opts.logger })
    this.warmedFor = model.dir
    let result: SttServiceResult
    try {
      result = await this.service.transcribe(model.id, model.dir, samples, { signal: opts.signal })
    } catch (error) {
      throw providerError(error, opts.signal)
    }
    this.opts.onResult?.({ ...result, modelId: model.id })
    return { text: result.text, computeMs: result.computeMs, queueMs: result.queueMs }
  }

  /**
   * The user started speaking: look at the models folder again and, the first time a model is seen, start the
   * worker and load the model now (a 0.1 s silent utterance), so the load overlaps the speech instead of delaying
   * the first transcript.
   */
  warmUp(): void {
    if (this.closed) return
    void this.refresh().then((model) => {
      if (!model || this.warmedFor === model.dir || this.closed) return
      this.warmedFor = model.dir
      this.service ??= new SttService({ workerPath: this.opts.workerPath ?? resolveSttWorkerPath(), logger: this.opts.logger })
      this.service.transcribe(model.id, model.dir, new Float32Array(1600)).catch((error: Error) => this.opts.logger?.warn('on-device STT could not load its model', { model: model.id, error: error.message }))
    })
  }

  /** Stop the worker thread (pending utterances fail); the provider stays unavailable. */
  async close(): Promise<void> {
    this.closed = true
    await this.service?.stop()
  }

  private async findInstalled(): Promise<InstalledModel | null> {
    const catalog = await this.loadCatalog()
    if (!catalog) return null
    const models = [...catalog.models].sort((a, b) => Number(b.default === true) - Number(a.default === true))
    for (const model of models) {
      const dir = join(this.opts.modelsDir, model.id)
      try {
        const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { id?: unknown }
        if (manifest.id === model.id) return { id: model.id, shortName: shortModelName(model), dir }
      } catch {
        // not installed (or half-written by hand): try the next one
      }
    }
    return null
  }

  private async loadCatalog(): Promise<Catalog | null> {
    if (this.catalog) return this.catalog
    try {
      this.catalog = await loadCatalog()
    } catch (error) {
      const message = (error as Error).message
      if (message !== this.catalogError) this.opts.logger?.error('on-device speech recognition is off: the model catalog could not be loaded', { error: message })
      this.catalogError = message
    }
    return this.catalog
  }
}

/** The engine's errors in the failover chain's words. */
function providerError(error: unknown, signal: AbortSignal): ProviderError {
  if (signal.aborted && signal.reason instanceof ProviderError) return signal.reason
  if (!(error instanceof SttError)) return new ProviderError('bad_response', `on-device speech recognition failed: ${(error as Error).message}`)
  switch (error.code) {
    case 'cancelled':
      return new ProviderError('cancelled', 'cancelled')
    case 'inference':
    case 'bad_audio':
      return new ProviderError('bad_response', error.message)
    default:
      // no_model, bad_model, busy, crashed, stopped: the engine cannot take this utterance now.
      return new ProviderError('unavailable', error.message)
  }
}
