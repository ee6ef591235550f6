import type { ViteUserConfig } from 'vitest/config';

// Tests run against the TypeScript sources of the workspace packages (the `@x/source` export
// condition), so no build is needed first.
const conditions = ['@x/source', 'node', 'import', 'module', 'default'];

/** The settings every workspace project's tests share. */
export const sharedConfig = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@x/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
} satisfies ViteUserConfig;
