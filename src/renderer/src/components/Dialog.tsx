import type React from 'react'
import { useEffect, useRef } from 'react'

/**
 * A modal dialog on the platform's own <dialog>: showModal() moves focus in and traps it (the rest of the window is
 * inert), Escape closes it, and focus goes back to what had it before. `open` is the caller's state; closing by
 * Escape or the close button calls onClose.
 */
export function Dialog(props: { open: boolean; onClose: () => void; labelledBy: string; className?: string; testId?: string; children: React.ReactNode }): React.JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  const { open, onClose } = props
  useEffect(() => {
    const dialog = ref.current
    if (!dialog || !open) return
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (!dialog.open) dialog.showModal()
    const closed = (): void => onClose()
    dialog.addEventListener('close', closed)
    return () => {
      dialog.removeEventListener('close', closed)
      if (dialog.open) dialog.close()
      before?.focus()
    }
  }, [open, onClose])
  return (
    <dialog ref={ref} className={`dialog ${props.className ?? ''}`} aria-labelledby={props.labelledBy} data-testid={props.testId}>
      {open && props.children}
    </dialog>
  )
}
