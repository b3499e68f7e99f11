import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { ContractError } from '../../shared/contract/errors'
import type { ClientProvidersPolicy, VoiceConfig, VoiceConfigRequest } from '../../shared/contract/signaling'
import { NO_OPERATOR_PROVIDERS, type OperatorProviders } from './operatorProviders'
import { nonPublicRange } from './publicAddress'

type Stage = 'stt' | 'llm' | 'tts'
type ClientProvider = Extract<VoiceConfigRequest['stt'][number], { kind: 'openai-compatible' }>

/** Resolve a host name to its addresses (all of them: a name with one private address among public ones is refused). */
export type HostLookup = (hostname: string) => Promise<string[]>

export interface ProviderAuthorityOptions {
  /** none (default): only the operator's providers; public-https: also the client's, https to public addresses; any. */
  clientProviders: ClientProvidersPolicy
  operator?: OperatorProviders
  lookup?: HostLookup
  /** How long a name may take to resolve before the provider is refused. */
  lookupTimeoutMs?: number
}

const defaultLookup: HostLookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address)

/**
 * Who decides where the backend sends audio and text (observeSession's `voice`). The backend makes HTTP requests to
 * these URLs and hands the answers back to the client in turn traces, so a client-chosen URL is a request the
 * backend makes on the client's behalf from inside its own network: the embedded backend takes any URL from the app
 * that started it (`any`); a standalone backend uses its operator's providers, and a client's own only as far as the
 * operator allows. Every choice is checked before anything is configured: one refused provider refuses the whole
 * request, and nothing is contacted. A name is resolved and every address checked before the provider is accepted;
 * under public-https the provider is marked `network: 'public'`, so its HTTP client (providers/publicOnlyFetch.ts)
 * checks the address again at every connection (a name that resolves elsewhere later, DNS rebinding) and refuses
 * redirects.
 */
export class ProviderAuthority {
  private readonly operator: OperatorProviders
  private readonly lookup: HostLookup

  constructor(private readonly opts: ProviderAuthorityOptions) {
    this.operator = opts.operator ?? NO_OPERATOR_PROVIDERS
    this.lookup = opts.lookup ?? defaultLookup
  }

  /** What hello tells clients they may name. */
  get summary(): { clientProviders: ClientProvidersPolicy; operator: Record<Stage, string[]> } {
    const names = (s: Stage): string[] => this.operator[s].map((p) => p.name)
    return { clientProviders: this.opts.clientProviders, operator: { stt: names('stt'), llm: names('llm'), tts: names('tts') } }
  }

  /**
   * The concrete providers for a request: each operator pick by name, each client provider checked against the
   * policy; a stage the client leaves empty gets the operator's providers for it. Throws ContractError
   * (forbidden: not allowed; invalid_params: no such operator provider, not a URL) and then configures nothing.
   */
  async resolve(request: VoiceConfigRequest): Promise<VoiceConfig> {
    const out: VoiceConfig = { ...request, stt: [], llm: [], tts: [] }
    for (const stage of ['stt', 'llm', 'tts'] as const) {
      const choices = request[stage]
      if (choices.length === 0) {
        out[stage] = this.operator[stage].map(({ name: _name, ...p }) => p)
        continue
      }
      for (const choice of choices) {
        if (choice.kind === 'operator') {
          const found = this.operator[stage].find((p) => p.name === choice.name)
          if (!found) {
            const offered = this.operator[stage].map((p) => p.name)
            throw new ContractError('invalid_params', `no operator provider named ${JSON.stringify(choice.name)} for ${stage}; this backend offers ${offered.length ? offered.join(', ') : 'none'}`)
          }
          const { name: _name, ...provider } = found
          out[stage].push(provider)
        } else {
          await this.checkClientProvider(stage, choice)
          // Checked now; checked again at every connection, with no redirects, under public-https (DNS can change).
          out[stage].push(this.opts.clientProviders === 'public-https' ? { ...choice, network: 'public' } : choice)
        }
      }
    }
    return out
  }

  private async checkClientProvider(stage: Stage, provider: ClientProvider): Promise<void> {
    const policy = this.opts.clientProviders
    const what = `the ${stage.toUpperCase()} provider ${provider.baseUrl}`
    if (policy === 'any') return
    if (policy === 'none') {
      const offered = this.summary.operator[stage]
      throw new ContractError('forbidden', `${what} was refused: this backend does not accept providers from clients (its operator runs it with --client-providers none); ${offered.length ? `pick one of its own: ${offered.join(', ')}` : 'it offers none of its own for this stage'}`)
    }
    let url: URL
    try {
      url = new URL(provider.baseUrl)
    } catch {
      throw new ContractError('invalid_params', `${what} is not a URL`)
    }
    if (url.protocol !== 'https:') throw new ContractError('forbidden', `${what} was refused: this backend accepts client providers over https:// only (--client-providers public-https)`)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const addresses = isIP(host) ? [host] : await this.resolveHost(host, what)
    for (const address of addresses) {
      const range = nonPublicRange(address)
      if (range) {
        const via = address === host ? '' : `${host} resolves to ${address}, `
        throw new ContractError('forbidden', `${what} was refused: ${via}a ${range} address; this backend sends nothing to loopback, private, link-local or other non-public addresses`)
      }
    }
  }

  private async resolveHost(host: string, what: string): Promise<string[]> {
    const timeoutMs = this.opts.lookupTimeoutMs ?? 3000
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const addresses = await Promise.race([
        this.lookup(host),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))
      ])
      if (addresses.length === 0) throw new Error('no addresses')
      return addresses
    } catch (error) {
      throw new ContractError('forbidden', `${what} was refused: its host ${host} could not be resolved (${(error as Error).message})`)
    } finally {
      clearTimeout(timer)
    }
  }
}
