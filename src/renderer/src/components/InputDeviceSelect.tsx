import type React from 'react'
import { useMicStore } from '../stores/micStore'

/** The microphone choice, as a select of the devices the mic store knows ("" = system default). */
export function InputDeviceSelect(props: { value: string | null; onChange: (deviceId: string | null) => void; disabled?: boolean; testId: string }): React.JSX.Element {
  const devices = useMicStore((s) => s.devices)
  return (
    <select value={props.value ?? ''} disabled={props.disabled} onChange={(e) => props.onChange(e.target.value || null)} data-testid={props.testId}>
      <option value="">System default</option>
      {devices
        // "default" duplicates the system default entry; devices without ids are not selectable before permission.
        .filter((d) => d.deviceId && d.deviceId !== 'default')
        .map((d) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label}
          </option>
        ))}
    </select>
  )
}
