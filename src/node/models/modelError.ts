/** What went wrong with a model download, install or import, as a sentence the user can act on (the message). */
export class ModelError extends Error {
  constructor(
    readonly code: 'not_found' | 'http' | 'network' | 'disk_full' | 'bad_hash' | 'bad_size' | 'cancelled' | 'busy' | 'unknown_model' | 'io' | 'bad_source',
    message: string
  ) {
    super(message)
    this.name = 'ModelError'
  }
}
