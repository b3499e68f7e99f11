import { describe, expect, it } from 'vitest'
import { flowBudget, MIN_RESERVED_DESCRIPTORS, readDescriptorLimit } from '../../../../src/server/relay/flowBudget'

describe('flowBudget', () => {
  it('keeps a reserve free and fits UDP flows (1 descriptor) and TCP connections (2) in the rest', () => {
    for (const limit of [256, 1024, 4096, 65_536]) {
      const b = flowBudget(limit)
      expect(b.reserved).toBeGreaterThanOrEqual(Math.max(MIN_RESERVED_DESCRIPTORS, limit / 10))
      expect(b.maxFlows + 2 * b.maxTcpConnections + b.reserved).toBeLessThanOrEqual(limit)
      expect(b.maxFlows).toBeGreaterThan(b.maxTcpConnections)
    }
    expect(flowBudget(256)).toEqual({ descriptorLimit: 256, reserved: 64, maxFlows: 168, maxTcpConnections: 12 })
    // A limit smaller than the reserve leaves nothing for flows rather than a negative number.
    expect(flowBudget(32)).toMatchObject({ maxFlows: 0, maxTcpConnections: 0 })
    // Unknown limit: the common default of 1024 is assumed.
    expect(flowBudget(null).maxFlows).toBe(flowBudget(1024).maxFlows)
  })

  it('reads the soft open-files limit from /proc/self/limits', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  524288               files\n'
    expect(readDescriptorLimit(() => limits)).toBe(256)
    expect(readDescriptorLimit(() => limits.replace('256 ', 'unlimited '))).toBe(Number.MAX_SAFE_INTEGER)
    expect(readDescriptorLimit(() => 'nothing useful')).toBeNull()
    expect(readDescriptorLimit(() => {
      throw new Error('ENOENT')
    })).toBeNull()
    if (process.platform === 'linux') expect(readDescriptorLimit()).toBeGreaterThan(0)
  })
})
