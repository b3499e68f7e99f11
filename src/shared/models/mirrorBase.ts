/**
 * A mirror base URL for the on-device model downloads (networks where the model host is blocked): what makes one
 * acceptable. Shared, because the app's settings (models.mirrorBaseUrl) and the installer (src/node/models/mirror.ts,
 * `npm run models -- install --mirror`) must agree on it.
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
