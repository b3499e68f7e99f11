import { afterEach, describe, expect, it, vi } from 'vitest'
import { knownOptions, numberOption, parseCli, parseOrExit, UsageError } from '../../../src/node/cli'

const spec = { options: { seconds: { type: 'string' }, k: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } }, positionals: ['file'] } as const

describe('parseCli: parseArgs, strict', () => {
  it('reads known options and positionals', () => {
    const { values, positionals } = parseCli(['--seconds', '5', '-q', 'a.wav', '--k=3'], spec)
    expect(values).toEqual({ seconds: '5', quiet: true, k: '3' })
    expect(positionals).toEqual(['a.wav'])
    expect(parseCli([], spec).values).toEqual({})
  })

  it('an unknown option is an error that names it and the known ones', () => {
    expect(() => parseCli(['--seconds', '5', '--secs', '3'], spec)).toThrow(new UsageError('unknown option --secs; known: --seconds, --k, --quiet (-q); arguments: file'))
    expect(() => parseCli(['-x'], spec)).toThrow(/^unknown option -x; known:/)
    expect(() => parseCli(['--foo=1'], { options: {} })).toThrow(new UsageError('unknown option --foo; known: none'))
  })

  it('a missing value, a value for a flag, or one positional too many is an error too', () => {
    expect(() => parseCli(['--seconds'], spec)).toThrow(UsageError)
    expect(() => parseCli(['--seconds'], spec)).toThrow(/--seconds.*options: --seconds, --k, --quiet/)
    expect(() => parseCli(['--quiet=yes'], spec)).toThrow(UsageError)
    expect(() => parseCli(['a.wav', 'b.wav'], spec)).toThrow(new UsageError('unexpected argument "b.wav": takes at most 1 positional argument (file); options: --seconds, --k, --quiet (-q)'))
    expect(() => parseCli(['x'], { options: {} })).toThrow(/takes no positional arguments/)
  })

  it('lists options as typed', () => {
    expect(knownOptions(spec.options)).toBe('--seconds, --k, --quiet (-q)')
    expect(knownOptions({})).toBe('none')
  })
})

describe('numberOption', () => {
  it('the default when absent, the number when valid', () => {
    expect(numberOption('--k', undefined, 64)).toBe(64)
    expect(numberOption('--k', '2.5', 64)).toBe(2.5)
    expect(numberOption('--k', '0', 1, { min: 0, integer: true })).toBe(0)
  })

  it('refuses what is not a number in range, saying what it wanted', () => {
    expect(() => numberOption('--k', 'abc', 1)).toThrow(new UsageError('--k needs a number, got "abc"'))
    expect(() => numberOption('--k', '', 1)).toThrow(UsageError)
    expect(() => numberOption('--k', 'Infinity', 1)).toThrow(UsageError)
    expect(() => numberOption('--k', '1.5', 1, { integer: true })).toThrow(/whole number/)
    expect(() => numberOption('N', '0', 1, { min: 1 })).toThrow(new UsageError('N needs a number ≥ 1, got "0"'))
    expect(() => numberOption('--port', '70000', 1, { min: 0, max: 65535, integer: true })).toThrow(new UsageError('--port needs a whole number 0..65535, got "70000"'))
  })
})

describe('parseOrExit', () => {
  afterEach(() => vi.restoreAllMocks())

  it('returns what parse returns', () => {
    expect(parseOrExit('prog', () => 42)).toBe(42)
  })

  it('a UsageError: "<program>: <message>" and the usage on stderr, exit code 2', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`)
    }) as never)
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    expect(() => parseOrExit('bench x', () => parseCli(['--nope'], spec), 'usage: x')).toThrow('exit 2')
    expect(exit).toHaveBeenCalledWith(2)
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toBe('bench x: unknown option --nope; known: --seconds, --k, --quiet (-q); arguments: file\nusage: x\n')
  })

  it('any other error is not a usage error: rethrown', () => {
    expect(() => parseOrExit('prog', () => {
      throw new TypeError('bug')
    })).toThrow(TypeError)
  })
})
