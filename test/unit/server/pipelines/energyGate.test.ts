import { describe, expect, it } from 'vitest'
import { EnergyGate, frameDbfs } from '../../../../src/server/pipelines/energyGate'
import { loud, silence } from '../../../helpers/pipelineFrames'

describe('EnergyGate', () => {
  it('opens on loud frames and closes after the hangover of quiet ones', () => {
    expect(frameDbfs(silence())).toBe(-100)
    expect(frameDbfs(loud(3277))).toBeCloseTo(-20, 0)
    const g = new EnergyGate({ hangoverFrames: 3 })
    const events = [silence(), loud(3000), loud(3000), silence(), loud(3000), silence(), silence(), silence(), silence()].map((p) => g.push(p))
    expect(events).toEqual([null, 'onset', null, null, null, null, null, 'end', null])
  })
})
