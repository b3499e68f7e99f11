import type { Transcript } from '../../../shared/contract/transcript'
import type { ModelManager } from '../../../node/models/modelManager'
import type { LocalUtterance } from '../vad/vadService'
import type { SttService } from '../../../node/stt/sttService'

/** Which on-device model transcribes utterances (the first installed model in catalog order). */
export async function pickInstalledModel(models: ModelManager): Promise<{ id: string; dir: string } | null> {
  for (const m of await models.list()) {
    if (m.state !== 'installed') continue
    const dir = await models.installedPath(m.id)
    if (dir) return { id: m.id, dir }
  }
  return null
}

/**
 * Failover transcription of one committed utterance: the installed on-device model if there is one; otherwise a
 * transcript that says no model is installed (the UI turns that into the download offer). Never throws.
 */
export async function transcribeLocally(utterance: LocalUtterance, models: ModelManager, stt: SttService): Promise<Transcript> {
  const audioMs = Math.round(utterance.audio.length / 16)
  const base = { utteranceId: utterance.utteranceId, source: 'local' as const, audioMs }
  const model = await pickInstalledModel(models).catch(() => null)
  if (!model) {
    return { ...base, text: '', engine: 'none', transcriptionMs: 0, error: 'No on-device speech model is installed, so this utterance could not be transcribed while the backend is unavailable. Download one in Local speech recognition.' }
  }
  try {
    const result = await stt.transcribe(model.id, model.dir, utterance.audio)
    return { ...base, text: result.text, engine: model.id, transcriptionMs: Math.round(result.transcriptionMs), error: null }
  } catch (error) {
    return { ...base, text: '', engine: model.id, transcriptionMs: 0, error: (error as Error).message }
  }
}
