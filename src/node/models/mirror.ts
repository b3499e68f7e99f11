import type { Catalog } from './catalog'

/**
 * A mirror base URL for networks where the model host is blocked or slow (Handy #1579, #2032: Hugging Face
 * unreachable). A mirror serves the same paths under another origin, the way hf-mirror.com and HF_ENDPOINT work:
 * `https://huggingface.co/<repo>/resolve/<rev>/<file>` → `<mirror>/<repo>/resolve/<rev>/<file>`. The mirror may have a
 * path prefix of its own (`http://cache.lan/hf/`). The files are still checked against the catalog's SHA-256, so a
 * mirror cannot change what gets installed.
 */

/** The mirror base as a URL, or an Error saying what is wrong with it. */
export function parseMirrorBase(raw: string): URL | Error {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return new Error(`the mirror ${JSON.stringify(raw)} is not a URL; give a base such as https://hf-mirror.com`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return new Error(`the mirror must be an http or https URL, not ${url.protocol}`)
  if (url.search || url.hash) return new Error('the mirror base must not have a ?query or #fragment')
  if (url.username || url.password) return new Error('the mirror base must not carry a user name or password')
  return url
}

/** `catalog` with every file's URL moved onto the mirror (origin replaced, path kept after the mirror's own path). */
export function withMirror(catalog: Catalog, base: URL): Catalog {
  const prefix = base.pathname.replace(/\/+$/, '')
  const move = (raw: string): string => {
    const original = new URL(raw)
    const moved = new URL(base.origin)
    moved.pathname = `${prefix}${original.pathname}`
    moved.search = original.search
    return moved.href
  }
  return { ...catalog, models: catalog.models.map((m) => ({ ...m, files: m.files.map((f) => ({ ...f, url: move(f.url) })) })) }
}
