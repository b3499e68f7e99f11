/** A minimal typed event emitter that works in Node and browsers; a throwing listener never breaks the others. */
export class TypedEmitter<Events extends Record<string, unknown>> {
  private listeners = new Map<keyof Events, Set<(payload: never) => void>>()

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => set.delete(listener as (payload: never) => void)
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        ;(listener as (p: Events[E]) => void)(payload)
      } catch (error) {
        console.error(`listener for ${String(event)} failed:`, error)
      }
    }
  }
}
