import { resolve } from 'node:path'
import { ModelManager, type ModelManagerOptions } from './modelManager'

/**
 * A ModelManager whose models folder is `modelsDir` itself. ModelManager keeps models in `<userDataDir>/models`, which
 * is right for the app; the command line and the standalone backend name the models folder directly (`--models-dir`).
 * Until ModelManagerOptions takes a models folder of its own, this subclass sets the folder after the base
 * constructor has derived its default (ModelManager reads `modelsDir` only in its methods, never in the constructor).
 */
class ModelManagerInFolder extends ModelManager {
  override readonly modelsDir: string

  constructor(modelsDir: string, opts: Omit<ModelManagerOptions, 'userDataDir'>) {
    super({ ...opts, userDataDir: modelsDir })
    this.modelsDir = modelsDir
  }
}

export function modelManagerAt(modelsDir: string, opts: Omit<ModelManagerOptions, 'userDataDir'>): ModelManager {
  return new ModelManagerInFolder(resolve(modelsDir), opts)
}
