import type { Catalog } from './catalog'

/**
 * A mirror base URL for networks where the model host is blocked or slow (Handy #1579, #2032: Hugging Face
 * unreachable). A mirror serves the same paths under another origin, the way hf-mirror.com and HF_ENDPOINT work:
 * `https://huggingface.co/<repo>/resolve/<rev>/<file>` → `<mirror>/<repo>/resolve/<rev>/<file>`. The mirror may have a
 * path prefix of its own (`http://cache.lan/hf/`). The files are still checked against the catalog's SHA-256, so a
 * mirror cannot change what gets installed.
 */

/** The mirror base's rules live in src/shared (the app's settings check the same URL the installer uses). */
export { parseMirrorBase } from '../../shared/models/mirrorBase'

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
