import type { RendererError, VoiceApi } from '../../../shared/contract/api'

/** The bounds of the contract's rendererErrorSchema: a report over them would be refused whole. */
const MAX = { message: 2000, stack: 8000, source: 500 }

type ErrorEventLike = Event & { message?: unknown; error?: unknown; filename?: unknown; lineno?: unknown; colno?: unknown }
type RejectionEventLike = Event & { reason?: unknown }

/** A window `error` or `unhandledrejection` event as the report the main process logs. */
export function rendererErrorFrom(event: Event): RendererError {
  if (event.type === 'unhandledrejection') {
    const reason = (event as RejectionEventLike).reason
    const error = reason instanceof Error ? reason : null
    return clip({ kind: 'unhandledrejection', message: error ? `${error.name}: ${error.message}` : String(reason), stack: error?.stack })
  }
  const e = event as ErrorEventLike
  const error = e.error instanceof Error ? e.error : null
  const message = typeof e.message === 'string' && e.message ? e.message : error ? `${error.name}: ${error.message}` : 'unknown error'
  const source = typeof e.filename === 'string' && e.filename ? `${e.filename}:${Number(e.lineno) || 0}:${Number(e.colno) || 0}` : undefined
  return clip({ kind: 'error', message, stack: error?.stack, source })
}

function clip(report: RendererError): RendererError {
  return {
    kind: report.kind,
    message: report.message.slice(0, MAX.message),
    ...(report.stack ? { stack: report.stack.slice(0, MAX.stack) } : {}),
    ...(report.source ? { source: report.source.slice(0, MAX.source) } : {})
  }
}

/**
 * Send the window's uncaught errors to the app's log (reportRendererError): the page keeps its own console, and the
 * log file a bug report carries gets them too. A failed report is dropped (reporting it would loop). Returns the
 * function that stops forwarding.
 */
export function forwardWindowErrors(win: Pick<Window, 'addEventListener' | 'removeEventListener'>, api: Pick<VoiceApi, 'reportRendererError'>): () => void {
  const forward = (event: Event): void => void api.reportRendererError(rendererErrorFrom(event)).catch(() => undefined)
  win.addEventListener('error', forward)
  win.addEventListener('unhandledrejection', forward)
  return () => {
    win.removeEventListener('error', forward)
    win.removeEventListener('unhandledrejection', forward)
  }
}
