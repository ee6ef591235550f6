import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishedPackages, repoRoot, run, type ChildResult } from './repo.js';

// The API reference as `npx -y pnpm@10 run docs` builds it (TypeDoc over every package at once),
// built here into a temporary folder; and the documents that point to it.

const packages = publishedPackages();
/** TypeDoc's file name of a package's page (`@x/core` → `_x_core`). */
const pageOf = (name: string): string => name.replace(/[@/]/g, '_');

describe('the API reference', () => {
  let out: string;
  let build: ChildResult;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'x-docs-'));
    build = await run(join(repoRoot, 'node_modules', '.bin', 'typedoc'), ['--out', out], { cwd: repoRoot, timeoutMs: 180_000 });
  }, 200_000);

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('builds without a warning (typedoc.json treats warnings as errors)', () => {
    expect(`${build.stdout}${build.stderr}`).not.toMatch(/warning|error/i);
    expect(build.status).toBe(0);
    const config = JSON.parse(readFileSync(join(repoRoot, 'typedoc.json'), 'utf8')) as { entryPoints: string[]; treatWarningsAsErrors: boolean; out: string };
    expect(config.treatWarningsAsErrors).toBe(true);
    expect(config.out).toBe('docs');
    expect([...config.entryPoints].sort()).toEqual(packages.map((p) => `packages/${p.dir.split('/').at(-1)}`).sort());
  });

  it('index.html links the reference of every published package', () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const { manifest } of packages) {
      expect(index).toContain(`href="modules/${pageOf(manifest.name)}.html"`);
      const page = readFileSync(join(out, 'modules', `${pageOf(manifest.name)}.html`), 'utf8');
      // The package's README opens its page.
      expect(page).toContain('ESM only');
    }
  });

  it('links across packages: a client page links the @x/core types it uses', () => {
    const memory = readFileSync(join(out, 'classes', '_x_memory-client.MemoryStorageClient.html'), 'utf8');
    expect(memory).toContain('href="_x_core.CollectionStorageClient.html"');
    expect(memory).toMatch(/href="\.\.\/types\/_x_core\.StorageTarget\.html"/);
    const actor = readFileSync(join(out, 'classes', '_x_actor.Actor.html'), 'utf8');
    expect(actor).toMatch(/href="_x_core\.Dataset\.html"/);
    for (const target of ['classes/_x_core.Dataset.html', 'types/_x_core.StorageTarget.html']) expect(existsSync(join(out, target))).toBe(true);
  });
});

describe('the documents', () => {
  it('the README says the packages are ESM only, and how to build the reference', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toMatch(/ESM only/i);
    expect(readme).toContain('docs/index.html');
  });

  it('apps/examples/README.md lists every example with what it shows', () => {
    const readme = readFileSync(join(repoRoot, 'apps', 'examples', 'README.md'), 'utf8');
    const examples = readdirSync(join(repoRoot, 'apps', 'examples', 'src')).filter((file) => file.endsWith('.ts'));
    expect(examples.length).toBeGreaterThanOrEqual(9);
    for (const file of examples) expect(readme, file).toMatch(new RegExp(`\\[\`${file.replace('.', '\\.')}\`\\]\\(src/${file.replace('.', '\\.')}\\)[^\\n]*\\|?\\s*\\S`));
  });
});
