import { describe, expect, it } from 'vitest'
import type { Catalog } from '../../../../src/node/models/catalog'
import { parseMirrorBase, withMirror } from '../../../../src/node/models/mirror'

const catalog = (urls: string[]): Catalog => ({
  version: 1,
  models: [{ id: 'm', name: 'M', engine: 'moonshine', language: 'en', description: '', license: 'MIT', licenseUrl: 'https://l.example', homepage: 'https://h.example', revision: 'r', files: urls.map((url, i) => ({ path: `f${i}`, url, size: 1, sha256: 'a'.repeat(64) })) }]
})
const base = (raw: string): URL => {
  const url = parseMirrorBase(raw)
  if (url instanceof Error) throw url
  return url
}

describe('model mirrors', () => {
  it('moves every file onto the mirror, keeping its path (after the mirror’s own prefix) and query', () => {
    const hub = ['https://huggingface.co/onnx-community/moonshine-tiny-ONNX/resolve/abc/onnx/encoder_model_quantized.onnx', 'https://huggingface.co/x/resolve/abc/config.json?download=true']
    expect(withMirror(catalog(hub), base('https://hf-mirror.com')).models[0]!.files.map((f) => f.url)).toEqual([
      'https://hf-mirror.com/onnx-community/moonshine-tiny-ONNX/resolve/abc/onnx/encoder_model_quantized.onnx',
      'https://hf-mirror.com/x/resolve/abc/config.json?download=true'
    ])
    expect(withMirror(catalog(hub), base('http://cache.lan:8080/hf/')).models[0]!.files[0]!.url).toBe('http://cache.lan:8080/hf/onnx-community/moonshine-tiny-ONNX/resolve/abc/onnx/encoder_model_quantized.onnx')
    // Sizes and checksums are untouched: a mirror cannot change what gets installed.
    expect(withMirror(catalog(hub), base('https://hf-mirror.com')).models[0]!.files[0]).toMatchObject({ size: 1, sha256: 'a'.repeat(64) })
  })

  it('refuses bases that are not plain http(s) base URLs, saying why', () => {
    expect((parseMirrorBase('hf-mirror.com') as Error).message).toMatch(/is not a URL; give a base such as https:\/\/hf-mirror.com/)
    expect((parseMirrorBase('file:///etc') as Error).message).toBe('the mirror must be an http or https URL, not file:')
    expect((parseMirrorBase('https://m.example/?token=1') as Error).message).toMatch(/\?query or #fragment/)
    expect((parseMirrorBase('https://user:pw@m.example/') as Error).message).toMatch(/user name or password/)
    expect(parseMirrorBase(' https://m.example/hf ')).toBeInstanceOf(URL)
  })
})
