import type React from 'react'
import { useEffect, useRef } from 'react'

/**
 * A modal dialog on the platform's own <dialog>: showModal() moves focus in and makes the rest of the window inert,
 * Escape closes it, and focus goes back to what had it before. Tab wraps from the last control to the first (and
 * Shift+Tab back), so focus stays in the dialog rather than leaving for the browser's own controls. `open` is the
 * caller's state; closing by Escape or the close button calls onClose.
 */
export function Dialog(props: { open: boolean; onClose: () => void; labelledBy: string; className?: string; testId?: string; children: React.ReactNode }): React.JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  const { open } = props
  // The latest onClose, without reopening the dialog when the caller passes a new function.
  const onClose = useRef(props.onClose)
  useEffect(() => {
    onClose.current = props.onClose
  })
  useEffect(() => {
    const dialog = ref.current
    if (!dialog || !open) return
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (!dialog.open) dialog.showModal()
    const closed = (): void => onClose.current()
    dialog.addEventListener('close', closed)
    return () => {
      dialog.removeEventListener('close', closed)
      if (dialog.open) dialog.close()
      before?.focus()
    }
  }, [open])
  return (
    <dialog ref={ref} className={`dialog ${props.className ?? ''}`} aria-labelledby={props.labelledBy} data-testid={props.testId} onKeyDown={wrapTab}>
      {open && props.children}
    </dialog>
  )
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

function wrapTab(e: React.KeyboardEvent<HTMLDialogElement>): void {
  if (e.key !== 'Tab') return
  const focusable = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null)
  const first = focusable[0]
  const last = focusable.at(-1)
  if (!first || !last) return
  if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault()
    first.focus()
  } else if (e.shiftKey && document.activeElement === first) {
    e.preventDefault()
    last.focus()
  }
}
