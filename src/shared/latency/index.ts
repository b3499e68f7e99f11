export * from './breakdown'
export * from './clockOffset'
export * from './stats'
export * from './trace'
