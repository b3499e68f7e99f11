import { describe, expect, it } from 'vitest'
import { ModelError } from '../../../../src/node/models/modelError'
import { ModelError as FromManager } from '../../../../src/node/models/modelManager'

describe('ModelError', () => {
  it('carries a code for the caller and a sentence for the user, and is the one ModelManager throws', () => {
    const e = new ModelError('bad_source', 'x.zip is a zip archive')
    expect(e).toBeInstanceOf(Error)
    expect(e).toMatchObject({ name: 'ModelError', code: 'bad_source', message: 'x.zip is a zip archive' })
    expect(FromManager).toBe(ModelError)
  })
})
