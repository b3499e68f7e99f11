import type { types as ms } from 'mediasoup'

/** One mediasoup worker and the WebRtcServer that gives all its sessions a single RTC port. */
export interface WorkerSlot {
  readonly index: number
  readonly worker: ms.Worker
  readonly webRtcServer: ms.WebRtcServer
  readonly rtcPort: number
}
