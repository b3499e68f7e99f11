import workletUrl from './captureTap.worklet.ts?worker&url'
import { CAPTURE_FRAME_SAMPLES, CAPTURE_SAMPLE_RATE } from '../../../shared/contract/voice'

/**
 * Capture tap: the microphone as 16 kHz mono 512-sample frames for the main process's local VAD. An AudioWorklet
 * does the work off the UI thread; frames go to a sink (browser mode: binary frames on an api WebSocket; Electron:
 * a MessagePort handed to the preload), their buffers transferred, not copied.
 */
export interface AudioSink {
  send(frame: Float32Array): void
  close(): void
}

export interface CaptureTap {
  readonly sampleRate: number
  /** Frames sent so far. */
  readonly frames: number
  stop(): void
}

export async function openCaptureTap(stream: MediaStream, sink: AudioSink): Promise<CaptureTap> {
  // Ask for a 16 kHz context: Chromium then resamples the mic properly; other rates fall back to the worklet.
  const ctx = new AudioContext({ sampleRate: CAPTURE_SAMPLE_RATE, latencyHint: 'interactive' })
  let frames = 0
  try {
    await ctx.audioWorklet.addModule(workletUrl)
    const source = ctx.createMediaStreamSource(stream)
    const node = new AudioWorkletNode(ctx, 'capture-tap', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' })
    node.port.onmessage = (ev: MessageEvent<Float32Array>) => {
      if (!(ev.data instanceof Float32Array) || ev.data.length !== CAPTURE_FRAME_SAMPLES) return
      frames++
      sink.send(ev.data)
    }
    source.connect(node)
    if (ctx.state === 'suspended') await ctx.resume()
    return {
      sampleRate: ctx.sampleRate,
      get frames() {
        return frames
      },
      stop() {
        node.port.onmessage = null
        source.disconnect()
        node.disconnect()
        void ctx.close()
        sink.close()
      }
    }
  } catch (error) {
    void ctx.close()
    sink.close()
    throw error
  }
}

/** Browser mode sink: binary frames on a second connection to the page's api socket (same token). */
export function webSocketAudioSink(url: string): AudioSink {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  const queue: ArrayBuffer[] = []
  ws.onopen = () => {
    for (const b of queue.splice(0)) ws.send(b)
  }
  return {
    send(frame) {
      const bytes = frame.buffer as ArrayBuffer
      if (ws.readyState === WebSocket.OPEN) {
        // Drop audio rather than pile it up if the socket is backed up (>1 s queued): live VAD wants fresh audio.
        if (ws.bufferedAmount < CAPTURE_SAMPLE_RATE * 4) ws.send(bytes)
      } else if (ws.readyState === WebSocket.CONNECTING && queue.length < 64) queue.push(bytes)
    },
    close() {
      ws.close()
    }
  }
}

/** Electron sink: a MessagePort whose other end the preload hands to the main process. */
export function messagePortAudioSink(win: Window): AudioSink {
  const channel = new MessageChannel()
  win.postMessage({ type: 'voice-capture-port' }, win.location.origin === 'null' ? '*' : win.location.origin, [channel.port2])
  return {
    send(frame) {
      channel.port1.postMessage(frame, [frame.buffer as ArrayBuffer])
    },
    close() {
      channel.port1.close()
    }
  }
}
