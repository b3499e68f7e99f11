import type React from 'react'
import { budgetSum, latencyStages, TOTAL_BUDGET_MS } from '../../../shared/latencyBudget'
import { useAppStore } from '../stores/appStore'

/** The voice-to-voice budget each turn is measured against; live per-turn figures fill the same rows. */
export function LatencyBudgetPanel(): React.JSX.Element {
  const overlayOn = useAppStore((s) => s.settings?.ui.showLatencyOverlay ?? true)
  const backend = useAppStore((s) => s.backend)
  const total = budgetSum()
  return (
    <section className="card wide" aria-labelledby="latency-title" data-testid="latency-panel">
      <div className="card-head">
        <h2 id="latency-title">Latency budget</h2>
        <span className="pill">{TOTAL_BUDGET_MS} ms voice-to-voice</span>
      </div>
      <div className="budget-bar" aria-hidden="true">
        {latencyStages.map((stage) => (
          <div key={stage.id} className={`budget-seg seg-${stage.id}`} style={{ flexGrow: stage.budgetMs }} title={`${stage.label}: ${stage.budgetMs} ms`} />
        ))}
      </div>
      <table className="budget-table">
        <thead>
          <tr>
            <th>Stage</th>
            <th className="num">Budget</th>
            <th className="num">Share</th>
            <th className="num">Last turn</th>
          </tr>
        </thead>
        <tbody>
          {latencyStages.map((stage) => (
            <tr key={stage.id}>
              <td>
                <span className={`swatch seg-${stage.id}`} />
                {stage.label}
              </td>
              <td className="num">{stage.budgetMs} ms</td>
              <td className="num">{Math.round((stage.budgetMs / total) * 100)}%</td>
              <td className="num subtle">—</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="subtle small">
        {backend?.state === 'ready'
          ? `No turns yet in this session. ${overlayOn ? 'Each turn you speak is timed here stage by stage.' : 'The live overlay is off in settings.'}`
          : 'Turns are timed once the backend is ready.'}
      </p>
    </section>
  )
}
