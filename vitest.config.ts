import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of the workspace packages (the `@x/source` export
// condition), so no build is needed first.
const conditions = ['@x/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@x/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
