import { defaultUserDataDir } from '../../main/browserMain'
import { b } from './demoCircleB'
export function a(): number { return b() + defaultUserDataDir.length }
