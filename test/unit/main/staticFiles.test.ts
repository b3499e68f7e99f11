import { describe, expect, it } from 'vitest'
import { contentTypeFor, resolveStaticPath } from '../../../src/main/staticFiles'

const root = '/opt/app/out/renderer'

describe('static files of the built renderer (app:// and browser mode)', () => {
  it('static path resolution is confined and typed', () => {
    expect(resolveStaticPath(root, '/../secret')).toBeNull()
    expect(resolveStaticPath(root, '/x/../../../secret')).toBeNull()
    expect(resolveStaticPath(root, '/x/../y.js')).toBe('/opt/app/out/renderer/y.js')
    expect(contentTypeFor('a/b.JS')).toBe('text/javascript; charset=utf-8')
    expect(contentTypeFor('model.bin')).toBe('application/octet-stream')
  })
})
