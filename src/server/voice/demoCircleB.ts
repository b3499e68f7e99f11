import { a } from './demoCircleA'
export function b(): number { return typeof a === 'function' ? 1 : 0 }
