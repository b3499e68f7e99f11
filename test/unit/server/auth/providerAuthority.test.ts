import { describe, expect, it } from 'vitest'
import { ProviderAuthority, type HostLookup } from '../../../../src/server/auth/providerAuthority'
import type { VoiceConfigRequest } from '../../../../src/shared/contract/signaling'

const own = (baseUrl: string) => ({ kind: 'openai-compatible' as const, baseUrl, apiKey: 'sk-client', model: 'whisper-1' })
const request = (stt: VoiceConfigRequest['stt'], rest: Partial<VoiceConfigRequest> = {}): VoiceConfigRequest => ({ stt, llm: [], tts: [], ...rest })
const operator = {
  stt: [{ name: 'lan-whisper', kind: 'openai-compatible' as const, baseUrl: 'http://10.0.0.5:8000/v1', apiKey: 'sk-operator', model: 'whisper-1', label: 'LAN whisper' }],
  llm: [],
  tts: []
}
/** A resolver with no network: names map to fixed answers; every lookup is recorded. */
const fakeDns = (table: Record<string, string[]>): HostLookup & { asked: string[] } => {
  const asked: string[] = []
  const fn = (async (host: string) => {
    asked.push(host)
    const answer = table[host]
    if (!answer) throw new Error(`ENOTFOUND ${host}`)
    return answer
  }) as HostLookup & { asked: string[] }
  fn.asked = asked
  return fn
}

describe('provider authority (who decides where the backend sends audio)', () => {
  it('none (the default): client URLs are refused, naming the operator providers to pick instead', async () => {
    const authority = new ProviderAuthority({ clientProviders: 'none', operator })
    await expect(authority.resolve(request([own('https://api.openai.com/v1')]))).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/does not accept providers from clients \(its operator runs it with --client-providers none\); pick one of its own: lan-whisper/)
    })
  })
  it('operator picks by name get the operator URL and key; an empty stage gets the operator chain', async () => {
    const authority = new ProviderAuthority({ clientProviders: 'none', operator })
    const picked = await authority.resolve(request([{ kind: 'operator', name: 'lan-whisper' }], { systemPrompt: 'be brief' }))
    expect(picked).toEqual({ stt: [{ kind: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1', apiKey: 'sk-operator', model: 'whisper-1', label: 'LAN whisper' }], llm: [], tts: [], systemPrompt: 'be brief' })
    expect((await authority.resolve(request([]))).stt).toEqual(picked.stt)
    await expect(authority.resolve(request([{ kind: 'operator', name: 'nope' }]))).rejects.toMatchObject({ code: 'invalid_params', message: expect.stringMatching(/no operator provider named "nope" for stt; this backend offers lan-whisper/) })
    expect(authority.summary).toEqual({ clientProviders: 'none', operator: { stt: ['lan-whisper'], llm: [], tts: [] } })
  })
  it('public-https: https to public addresses only — IP literals, mapped IPv6 and names that resolve to private ranges are refused', async () => {
    const dns = fakeDns({
      'api.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
      'sneaky.example.com': ['93.184.215.14', '10.0.0.7'],
      'rebind.example.com': ['127.0.0.1'],
      localhost: ['127.0.0.1', '::1'],
      'metadata.example.com': ['169.254.169.254'],
      'v6only.example.com': ['fd12::5']
    })
    const authority = new ProviderAuthority({ clientProviders: 'public-https', lookup: dns })
    // Accepted, and marked so its HTTP client checks the address again at each connection and follows no redirect.
    await expect(authority.resolve(request([own('https://api.example.com/v1')]))).resolves.toMatchObject({ stt: [{ ...own('https://api.example.com/v1'), network: 'public' }] })
    const refused: Array<[string, RegExp]> = [
      ['http://api.example.com/v1', /over https:\/\/ only/],
      ['https://127.0.0.1:8443/v1', /a loopback address/],
      ['https://[::1]/v1', /a loopback address/],
      ['https://[::ffff:127.0.0.1]/v1', /a loopback address/],
      ['https://2130706433/v1', /a loopback address/], // 127.0.0.1 as a decimal number: the URL parser normalizes it
      ['https://0x7f.1/v1', /a loopback address/],
      ['https://169.254.169.254/latest', /a link-local address/],
      ['https://[fe80::1]/v1', /a link-local address/],
      ['https://10.0.0.1/v1', /a private address/],
      ['https://localhost/v1', /localhost resolves to 127\.0\.0\.1, a loopback address/],
      ['https://sneaky.example.com/v1', /sneaky\.example\.com resolves to 10\.0\.0\.7, a private address/],
      ['https://rebind.example.com/v1', /resolves to 127\.0\.0\.1/],
      ['https://metadata.example.com/v1', /a link-local address/],
      ['https://v6only.example.com/v1', /a private address/],
      ['https://unknown.example.com/v1', /could not be resolved \(ENOTFOUND/],
      ['not a url', /is not a URL/]
    ]
    for (const [url, message] of refused) {
      await expect(authority.resolve(request([own(url)])), url).rejects.toMatchObject({ message })
    }
    // One refused provider refuses the whole request: nothing of it is configured.
    await expect(authority.resolve(request([own('https://api.example.com/v1')], { llm: [own('https://10.0.0.1/v1')] }))).rejects.toMatchObject({ code: 'forbidden' })
  })
  it('a name that does not resolve in time is refused', async () => {
    const authority = new ProviderAuthority({ clientProviders: 'public-https', lookup: () => new Promise(() => undefined), lookupTimeoutMs: 50 })
    await expect(authority.resolve(request([own('https://slow.example.com/v1')]))).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/no answer within 50 ms/) })
  })
  it('any (the embedded backend, whose only client is the app): loopback model servers are the user\'s own choice', async () => {
    const authority = new ProviderAuthority({ clientProviders: 'any', lookup: fakeDns({}) })
    await expect(authority.resolve(request([own('http://127.0.0.1:11434/v1')]))).resolves.toMatchObject({ stt: [own('http://127.0.0.1:11434/v1')] })
  })
})
