import type React from 'react'
import { useEffect, useMemo, useState } from 'react'
import { metricNames, stageMetricName, type StageSegment, type TurnBreakdown } from '../../../shared/latency/breakdown'
import { summarize } from '../../../shared/latency/stats'
import type { OffsetEstimate } from '../../../shared/latency/clockOffset'
import type { TurnTrace } from '../../../shared/latency/trace'
import { budgetVerdict, latencyStages, TOTAL_BUDGET_MS, type BudgetVerdict, type LatencyStageId } from '../../../shared/latencyBudget'
import { useAppStore } from '../stores/appStore'
import { isTypedTrace } from '../stores/historyStore'
import { breakdownOf, turnsExport, useTurnStore } from '../stores/turnStore'
import './LatencyOverlay.css'

/**
 * The live latency overlay: a waterfall of the current turn (each stage grows while it runs and is coloured by how
 * much of its budget share it used), per-stage p50/p95 over the session with a small plot, and a JSON export. The
 * conversation's latency chips open one turn's waterfall (TurnDetail) in a dialog.
 */
export function LatencyOverlay(): React.JSX.Element {
  const api = useAppStore((s) => s.api)
  const overlayOn = useAppStore((s) => s.settings?.ui.showLatencyOverlay ?? true)
  const backend = useAppStore((s) => s.backend)
  const turns = useTurnStore((s) => s.turns)
  const mainOffset = useTurnStore((s) => s.mainOffset)
  const current = turns.at(-1) ?? null
  const running = current?.status === 'running'
  const now = useNow(running)

  useEffect(() => {
    if (api) useTurnStore.getState().init(api)
  }, [api])

  const currentBreakdown = useMemo(() => (current ? breakdownOf(current, mainOffset, now) : null), [current, mainOffset, now])
  const finished = useMemo(() => turns.filter((t) => t.status === 'done').map((t) => breakdownOf(t, mainOffset)), [turns, mainOffset])

  return (
    <section className="card wide latency-overlay" aria-labelledby="latency-title" data-testid="latency-overlay">
      <div className="card-head">
        <h2 id="latency-title">Latency</h2>
        <div className="lo-head-right">
          <span className="pill">{TOTAL_BUDGET_MS} ms voice-to-voice budget</span>
          <span className="pill">{turns.length === 1 ? '1 turn' : `${turns.length} turns`}</span>
          <button type="button" onClick={() => download(turns, mainOffset)} disabled={turns.length === 0} data-testid="export-turns">
            Export JSON
          </button>
        </div>
      </div>
      {!overlayOn ? (
        <p className="subtle small">The live overlay is off. Turn it on in Settings → Interface.</p>
      ) : current && currentBreakdown ? (
        <>
          <TurnHeader trace={current} breakdown={currentBreakdown} />
          <Waterfall breakdown={currentBreakdown} decision={current.decision} />
          {finished.length > 0 && <SessionStats breakdowns={finished} />}
        </>
      ) : (
        <>
          <BudgetLegend />
          <p className="subtle small">
            {backend?.state === 'ready' ? 'No turns yet in this session. Each turn you speak is timed here, stage by stage.' : 'Turns are timed once the backend is ready.'}
          </p>
        </>
      )}
    </section>
  )
}

/** One turn's header and waterfall (the conversation's latency chip opens it). */
export function TurnDetail({ trace, mainOffset }: { trace: TurnTrace; mainOffset: OffsetEstimate | null }): React.JSX.Element {
  const now = useNow(trace.status === 'running')
  const breakdown = useMemo(() => breakdownOf(trace, mainOffset, now), [trace, mainOffset, now])
  return (
    <div className="latency-overlay lo-detail" data-testid="turn-detail">
      <TurnHeader trace={trace} breakdown={breakdown} />
      <Waterfall breakdown={breakdown} decision={trace.decision} />
    </div>
  )
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const timer = setInterval(() => setNow(Date.now()), 50)
    return () => clearInterval(timer)
  }, [active])
  return now
}

const STATUS_TEXT: Record<TurnTrace['status'], string> = { running: 'in progress', done: 'done', cancelled: 'interrupted', failed: 'failed' }

function TurnHeader({ trace, breakdown }: { trace: TurnTrace; breakdown: TurnBreakdown }): React.JSX.Element {
  const total = breakdown.e2eMs ?? breakdown.totalMs
  const verdict = budgetVerdict(total, TOTAL_BUDGET_MS)
  const typed = isTypedTrace(trace)
  return (
    <div className="lo-turn">
      <div className="lo-total" data-testid="turn-total">
        <span className={`lo-total-value v-${verdict}`}>{Math.round(total)} ms</span>
        <span className="subtle">
          {breakdown.e2eMs !== null ? 'e2e_latency' : trace.status === 'running' ? 'so far' : typed ? 'from send to first sound' : 'measured (no client marks)'} · of {TOTAL_BUDGET_MS} ms
        </span>
      </div>
      <div className="lo-turn-text">
        <div>
          <span className={`pill lo-status s-${trace.status}`}>{STATUS_TEXT[trace.status]}</span>{' '}
          {typed && (
            <span className="pill lo-typed" data-testid="turn-typed" title="Typed in the window: no speech recognition">
              typed
            </span>
          )}{' '}
          {trace.transcript ? <span className="lo-quote">“{trace.transcript}”</span> : <span className="subtle">…</span>}
        </div>
        {trace.reply && <div className="subtle lo-reply">↳ {trace.reply}</div>}
        {trace.providers && (
          <div className="subtle small">
            {(['stt', 'llm', 'tts'] as const)
              .filter((k) => trace.providers?.[k])
              .map((k) => `${k.toUpperCase()}: ${trace.providers![k]}`)
              .join(' · ')}
          </div>
        )}
        {trace.notes?.filter((note) => !typed || !isTypedTrace({ notes: [note] })).map((note, i) => (
          <div key={i} className="lo-note" role="note">
            ⚠ {note}
          </div>
        ))}
      </div>
    </div>
  )
}

/**
 * The stages of one turn. The turn decision row is the turn policy's wait after the speech ended, with its reason on a
 * line of its own under the bar (the metric names are hidden when the overlay is narrow, the reason is not); a turn
 * without a decision (typed, or committed before the policy decided) folds it into the end of utterance.
 */
function Waterfall({ breakdown, decision }: { breakdown: TurnBreakdown; decision?: TurnTrace['decision'] }): React.JSX.Element {
  const scale = Math.max(TOTAL_BUDGET_MS, breakdown.totalMs) * 1.04
  const pct = (ms: number): string => `${(Math.max(0, ms) / scale) * 100}%`
  const bySegment = new Map<LatencyStageId, StageSegment>()
  for (const s of breakdown.segments) {
    bySegment.set(s.stage, s)
    for (const folded of s.includes) bySegment.set(folded, s)
  }
  const ticks = [0, 200, 400, 600, 800, ...(scale > 1000 ? [1000, 1200, 1400, 1600].filter((t) => t < scale) : [])]
  return (
    <div className="lo-waterfall" role="table" aria-label="Current turn, stage by stage">
      <div className="lo-row lo-axis" role="row" aria-hidden="true">
        <div />
        <div className="lo-track">
          {ticks.map((t) => (
            <span key={t} className="lo-tick" style={{ left: pct(t) }}>
              {t}
            </span>
          ))}
        </div>
        <div />
      </div>
      {latencyStages.map((stage) => {
        const seg = bySegment.get(stage.id)
        const owner = seg && seg.stage === stage.id
        const verdict: BudgetVerdict | 'none' = seg && owner ? budgetVerdict(seg.durationMs, seg.budgetMs) : 'none'
        const decided = bySegment.has('turn')
        // With a decision the eou stage is only hearing that the speech ended; the metric is the whole of both.
        const metric = stage.id === 'eou' && decided ? 'speech_end_heard' : stageMetricName[stage.id]
        const row = (
          <div key={stage.id} className={`lo-row ${seg?.running && owner ? 'running' : ''}`} role="row" data-stage={stage.id} data-verdict={verdict}>
            <div className="lo-label" role="cell">
              <span className={`swatch seg-${stage.id}`} />
              <span>{stage.label}</span>
              <span className="lo-metric mono">{metric}</span>
            </div>
            <div className="lo-track" role="cell">
              <span className="lo-budget-line" style={{ left: pct(TOTAL_BUDGET_MS) }} />
              {seg && owner && (
                <>
                  <span className="lo-budget-ghost" style={{ left: pct(seg.startMs), width: pct(seg.budgetMs) }} />
                  <span className={`lo-bar v-${verdict}`} style={{ left: pct(seg.startMs), width: pct(seg.durationMs) }} />
                  {stage.id === 'llm' && breakdown.marksMs.llm_first_token !== undefined && (
                    <span className="lo-tick-mark" style={{ left: pct(breakdown.marksMs.llm_first_token) }} title="first token (ttft)">
                      <span>ttft</span>
                    </span>
                  )}
                </>
              )}
            </div>
            <div className={`lo-value num v-${verdict}`} role="cell">
              {seg && owner ? (
                <>
                  <strong>{Math.round(seg.durationMs)}</strong>
                  <span className="subtle"> / {seg.budgetMs} ms</span>
                  {seg.clamped && <span title="its end mark came before its start: done earlier (speculative STT within the pause) or a clock offset error"> *</span>}
                </>
              ) : seg ? (
                <span className="subtle">in {latencyStages.find((s) => s.id === seg.stage)!.label.toLowerCase()}</span>
              ) : stage.id === 'turn' && bySegment.has('eou') ? (
                <span className="subtle" title="This turn carries no turn decision: its wait is part of the end of utterance">
                  in end of utterance
                </span>
              ) : (
                <span className="subtle">—</span>
              )}
            </div>
          </div>
        )
        if (stage.id !== 'turn' || !decision) return row
        return [
          row,
          <div key="turn-reason" className="lo-row lo-reason-row" role="row">
            <div role="cell" />
            <div className="lo-reason" role="cell" title="Why the assistant answered when it did">
              {/* Under the bar it explains, from where the bar starts (while the text fits). */}
              <span style={{ marginLeft: `min(${pct(seg && owner ? seg.startMs : 0)}, calc(100% - ${decision.reason.length + 2}ch))` }} data-testid="turn-decision-reason">
                ↳ {decision.reason}
              </span>
            </div>
            <div role="cell" />
          </div>
        ]
      })}
      <div className="lo-metrics mono small">
        {metricNames.map((name) => {
          const value = breakdown.metrics[name]
          return (
            <span key={name}>
              {name} <strong>{value === null ? '—' : `${Math.round(value)} ms`}</strong>
            </span>
          )
        })}
      </div>
    </div>
  )
}

function SessionStats({ breakdowns }: { breakdowns: TurnBreakdown[] }): React.JSX.Element {
  // Once turns carry a decision, the end of utterance row is only hearing the speech end (on those turns); before,
  // it is the whole end of utterance, against the two stages' shares together (as in the waterfall).
  const decided = breakdowns.filter((b) => b.segments.some((s) => s.stage === 'turn'))
  const rows: Array<{ key: string; label: string; values: number[]; budget: number }> = [
    ...latencyStages.map((stage) => {
      const over = stage.id === 'eou' && decided.length > 0 ? decided : breakdowns
      const segments = over.map((b) => b.segments.find((s) => s.stage === stage.id && s.includes.length === 0)).filter((s): s is StageSegment => s !== undefined)
      return { key: stage.id, label: stage.label, budget: segments[0]?.budgetMs ?? stage.budgetMs, values: segments.map((s) => s.durationMs) }
    }),
    { key: 'e2e', label: 'e2e_latency', budget: TOTAL_BUDGET_MS, values: breakdowns.map((b) => b.e2eMs).filter((v): v is number => v !== null) }
  ]
  return (
    <table className="budget-table lo-stats" data-testid="latency-stats">
      <thead>
        <tr>
          <th>Stage (over {breakdowns.length} turns)</th>
          <th className="num">p50</th>
          <th className="num">p95</th>
          <th className="num">Budget</th>
          <th>Recent turns</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const s = summarize(row.values)
          return (
            <tr key={row.key} className={row.key === 'e2e' ? 'lo-e2e-row' : ''}>
              <td>
                {row.key !== 'e2e' && <span className={`swatch seg-${row.key}`} />}
                {row.label}
              </td>
              <td className={`num v-${s.p50 === null ? 'none' : budgetVerdict(s.p50, row.budget)}`}>{fmt(s.p50)}</td>
              <td className={`num v-${s.p95 === null ? 'none' : budgetVerdict(s.p95, row.budget)}`}>{fmt(s.p95)}</td>
              <td className="num subtle">{row.budget} ms</td>
              <td>
                <Sparkline values={row.values.slice(-30)} budget={row.budget} />
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function fmt(v: number | null): string {
  return v === null ? '—' : `${Math.round(v)} ms`
}

function Sparkline({ values, budget }: { values: number[]; budget: number }): React.JSX.Element {
  const w = 140
  const h = 26
  if (values.length === 0) return <span className="subtle">—</span>
  const max = Math.max(budget * 1.2, ...values)
  const x = (i: number): number => (values.length === 1 ? w / 2 : (i / (values.length - 1)) * (w - 4) + 2)
  const y = (v: number): number => h - 2 - (v / max) * (h - 4)
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  return (
    <svg className="lo-spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`last ${values.length} values`}>
      <line x1="0" x2={w} y1={y(budget)} y2={y(budget)} className="lo-spark-budget" />
      <polyline points={points} fill="none" className="lo-spark-line" />
      {values.map((v, i) => (
        <circle key={i} cx={x(i)} cy={y(v)} r="2" className={`v-fill-${budgetVerdict(v, budget)}`} />
      ))}
    </svg>
  )
}

function BudgetLegend(): React.JSX.Element {
  return (
    <div className="budget-bar" aria-label="Budget shares">
      {latencyStages.map((stage) => (
        <div key={stage.id} className={`budget-seg seg-${stage.id}`} style={{ flexGrow: stage.budgetMs }} title={`${stage.label}: ${stage.budgetMs} ms`} />
      ))}
    </div>
  )
}

function download(turns: TurnTrace[], mainOffset: Parameters<typeof turnsExport>[1]): void {
  const blob = new Blob([turnsExport(turns, mainOffset)], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = `voice-turns-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
