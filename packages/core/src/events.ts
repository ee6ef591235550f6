import { EventEmitter } from 'eventemitter3';

/** The events of a run, and what each listener gets. */
export interface StorageEvents {
  /** Time to save state: auto-saved values are written on it. `isMigrating` tells why. */
  persistState: [event: { readonly isMigrating: boolean }];
  /** The run is about to move to another machine. */
  migrating: [];
  /** The run is being aborted. */
  aborting: [];
  /** The run is ending. */
  exit: [];
}

/** Name of an event of {@link StorageEvents}. */
export type StorageEventName = keyof StorageEvents;

/**
 * The event bus that storages and the Actor share. Listeners may be async:
 * {@link EventBus.emitAndWait} calls every listener and waits for all of them.
 */
export class EventBus extends EventEmitter<StorageEvents> {
  /** Emits `event` and waits until every listener has finished; rejects if any listener failed. */
  async emitAndWait<E extends StorageEventName>(event: E, ...args: StorageEvents[E]): Promise<void> {
    const registered = this.listeners(event);
    // As emit() does: listeners added with once() are called this time and then removed.
    for (const listener of new Set(registered)) this.removeListener(event, listener, undefined, true);
    const listeners = registered as ((...a: StorageEvents[E]) => unknown)[];
    const results = await Promise.allSettled(listeners.map(async (listener) => listener(...args)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
