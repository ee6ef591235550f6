import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * About how long (in seconds, on a 2-core machine with every other file running beside) the test
 * files that take longest run: the order of a run on a machine that has no results of an earlier
 * one (a clean clone in CI). Only the ranking matters; a file not listed counts as 0.
 */
const KNOWN_SECONDS: Readonly<Record<string, number>> = {
  'packages/redis-client/test/cluster.test.ts': 130,
  'packages/redis-client/test/conformance.test.ts': 110,
  'packages/cloud-client/test/conformance-fs.test.ts': 80,
  'apps/repo-checks/test/packages.test.ts': 65,
  'packages/fs-client/test/crash-safety.test.ts': 65,
  'packages/cloud-client/test/conformance.test.ts': 60,
  'packages/actor/test/cli.test.ts': 45,
  'packages/fs-client/test/conformance.test.ts': 43,
  'packages/actor/test/repo-bins.test.ts': 40,
  'packages/crawlee/test/shared-queue.test.ts': 37,
  'packages/server/test/browser-scale.test.ts': 30,
  'packages/server/test/browser-views.test.ts': 30,
  'packages/cloud-client/test/fetch-buffer.test.ts': 25,
  'packages/actor/test/fail-fast.test.ts': 23,
  'packages/memory-client/test/dataset-export.test.ts': 22,
  'packages/server/test/large-dataset.test.ts': 22,
  'packages/crawlee/test/crawl.test.ts': 21,
  'packages/memory-client/test/conformance.test.ts': 19,
};

/**
 * Runs the test files that take longest first, whatever project they are in (vitest's own order
 * runs the projects one after the other by name, so the long Redis and server files started last
 * and the run waited minutes for them at its end). A file's duration in the results of an earlier
 * run on this machine (vitest's cache) comes first; then {@link KNOWN_SECONDS}; failed files of the
 * last run go first of all.
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const weight = (spec: TestSpecification): number => {
      const path = relative(root, spec.moduleId).split('\\').join('/');
      const last = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      if (last?.failed) return Number.POSITIVE_INFINITY;
      return last?.duration ?? (KNOWN_SECONDS[path] ?? 0) * 1000;
    };
    const weights = new Map(files.map((spec) => [spec, weight(spec)]));
    return [...files].sort((a, b) => weights.get(b)! - weights.get(a)!);
  }
}
