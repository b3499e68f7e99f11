import { blockRms } from '../../../shared/voice/audioLevel'

/**
 * Opens the microphone with the user's processing choices and reports its level, so the user can see that the
 * chosen device hears them. The returned handle owns every resource it made and releases them on stop().
 */
export interface MicOptions {
  inputDeviceId: string | null
  echoCancellation: boolean
  noiseSuppression: boolean
  autoGainControl: boolean
}

export interface MicHandle {
  readonly stream: MediaStream
  readonly trackLabel: string
  readonly sampleRate: number | null
  stop(): void
}

export function micConstraints(opts: MicOptions): MediaStreamConstraints {
  return {
    audio: {
      ...(opts.inputDeviceId ? { deviceId: { exact: opts.inputDeviceId } } : {}),
      echoCancellation: opts.echoCancellation,
      noiseSuppression: opts.noiseSuppression,
      autoGainControl: opts.autoGainControl,
      channelCount: 1
    },
    video: false
  }
}

/** RMS of a block in dBFS, floored at -100. */
export function rmsDbfs(samples: Float32Array): number {
  const rms = blockRms(samples)
  return rms > 0 ? Math.max(-100, 20 * Math.log10(rms)) : -100
}

export async function openMic(opts: MicOptions, onLevel: (dbfs: number) => void): Promise<MicHandle> {
  const stream = await navigator.mediaDevices.getUserMedia(micConstraints(opts))
  const track = stream.getAudioTracks()[0]
  const ctx = new AudioContext()
  const source = ctx.createMediaStreamSource(stream)
  const analyser = ctx.createAnalyser()
  analyser.fftSize = 1024
  source.connect(analyser)
  const buf = new Float32Array(analyser.fftSize)
  // The meter runs on a timer rather than requestAnimationFrame so it keeps working in background tabs/windows.
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf)
    onLevel(rmsDbfs(buf))
  }, 50)
  return {
    stream,
    trackLabel: track?.label ?? 'microphone',
    sampleRate: track?.getSettings().sampleRate ?? null,
    stop() {
      clearInterval(timer)
      source.disconnect()
      void ctx.close()
      for (const t of stream.getTracks()) t.stop()
    }
  }
}
