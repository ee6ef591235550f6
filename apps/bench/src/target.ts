/**
 * What a workload runs against: a storage implementation reached through its user-level classes.
 * Each target adapts one implementation (our core classes on some storage client, or Crawlee) to
 * the small surface below; a new client is one more target in `targets.ts`.
 */

/** A dataset item as the workloads push it. */
export type BenchItem = Record<string, unknown>;

/** A request as the workloads add it. */
export interface BenchRequestInput {
  readonly url: string;
}

/** A request fetched from a queue; workloads only hand it back to `markRequestAsHandled`. */
export interface BenchRequest {
  readonly url: string;
}

export interface BenchDataset {
  pushData(data: BenchItem | readonly BenchItem[]): Promise<void>;
  getData(options: { offset: number; limit: number }): Promise<{ readonly items: readonly unknown[] }>;
  drop(): Promise<void>;
}

export interface BenchKeyValueStore {
  setValue(key: string, value: unknown): Promise<void>;
  getValue(key: string): Promise<unknown>;
  drop(): Promise<void>;
}

export interface BenchAddResult {
  readonly wasAlreadyPresent: boolean;
}

export interface BenchRequestQueue {
  addRequest(request: BenchRequestInput): Promise<BenchAddResult>;
  addRequests(requests: readonly BenchRequestInput[]): Promise<{ readonly processedRequests: readonly BenchAddResult[] }>;
  fetchNextRequest(): Promise<BenchRequest | null>;
  markRequestAsHandled(request: BenchRequest): Promise<unknown>;
  isFinished(): Promise<boolean>;
  drop(): Promise<void>;
}

export interface BenchTarget {
  /** Short id, used by `--target` and in the JSON results. */
  readonly key: string;
  /** Column heading in the table. */
  readonly label: string;
  /** The target everything else is compared with (Crawlee). Exactly one target is the baseline. */
  readonly baseline?: boolean;
  /**
   * The storages a run opened are left in place, not dropped after the run: the target's folder is
   * removed as a whole by `dispose`. For targets on disk, where deleting thousands of files in the
   * middle of the measurements slows the writes that follow (a virtual disk passing the deletions
   * on to its host), whichever target happens to run next.
   */
  readonly keepsStorages?: boolean;
  /** Minimum ratio (this target's ops/s over the baseline's) per phase id, as set in the issues. */
  readonly goals?: Readonly<Record<string, number>>;
  /** Opens a new, empty storage of this name (names are unique per run). */
  openDataset(name: string): Promise<BenchDataset>;
  openKeyValueStore(name: string): Promise<BenchKeyValueStore>;
  openRequestQueue(name: string): Promise<BenchRequestQueue>;
  /** HTTP requests the target's server has answered so far, for targets that talk HTTP (requests per operation). */
  requestCount?(): number;
  /**
   * Waits for the writes the target still makes in the background (Crawlee persists after its
   * calls resolve), so that they do not land in another target's timing.
   */
  settle?(): Promise<void>;
  /** Frees whatever the target holds (temporary directories, servers) after all workloads. */
  dispose?(): Promise<void>;
}
