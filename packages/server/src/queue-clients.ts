import { ANONYMOUS_CLIENT_KEY } from '@x/core';

/** Most client keys remembered per queue: enough to tell one client from several. */
const KEYS_KEPT = 2;

/**
 * Which client keys used each request queue through this server, for the API's
 * `hadMultipleClients` hint. It holds no lock state (locks live in the storage client); with
 * several servers over one shared client, each answers from the calls it saw.
 */
export class QueueClients {
  readonly #keys = new Map<string, Set<string>>();

  /** Notes a client key that used the queue. */
  note(queueId: string, clientKey: string | undefined): void {
    if (clientKey === undefined || clientKey === ANONYMOUS_CLIENT_KEY) return;
    let keys = this.#keys.get(queueId);
    if (!keys) {
      keys = new Set();
      this.#keys.set(queueId, keys);
    }
    if (keys.size < KEYS_KEPT) keys.add(clientKey);
  }

  /** True when more than one client key used the queue. */
  hadMultipleClients(queueId: string): boolean {
    return (this.#keys.get(queueId)?.size ?? 0) > 1;
  }

  /** Forgets a dropped queue. */
  forget(queueId: string): void {
    this.#keys.delete(queueId);
  }
}
