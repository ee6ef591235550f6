import { cpSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StorageError } from '@x/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOptionalPackage } from '../src/index.js';
import { cleanEnv, nodeTsArgs, packageDir, removeTempDirs, runNode, tempDir } from './helpers.js';

const workspace = join(packageDir, '..');

afterAll(removeTempDirs);

describe('a client package that is not installed', () => {
  it('is a client-missing StorageError naming the package and the install command (real dynamic import)', async () => {
    const error = await importOptionalPackage('@x/no-such-client-package', 'This storage').catch((e: unknown) => e);
    expect(StorageError.is(error, 'client-missing')).toBe(true);
    expect((error as Error).message).toBe(
      'This storage needs the package @x/no-such-client-package, which is not installed: npm install @x/no-such-client-package',
    );
  });

  describe('in a project that installed @x/actor, @x/core and @x/memory-client only', () => {
    let project: string;

    beforeAll(() => {
      // A real install layout: node_modules has @x/actor (a copy, so it cannot see this
      // workspace's devDependencies), @x/core, @x/memory-client and zod, and no client package.
      project = tempDir('x-actor-project-');
      const modules = join(project, 'node_modules');
      mkdirSync(join(modules, '@x', 'actor'), { recursive: true });
      cpSync(join(packageDir, 'package.json'), join(modules, '@x', 'actor', 'package.json'));
      cpSync(join(packageDir, 'src'), join(modules, '@x', 'actor', 'src'), { recursive: true });
      symlinkSync(join(workspace, 'core'), join(modules, '@x', 'core'), 'dir');
      symlinkSync(join(workspace, 'memory-client'), join(modules, '@x', 'memory-client'), 'dir');
      const zod = dirname(realpathSync(createRequire(join(packageDir, 'package.json')).resolve('zod/package.json')));
      symlinkSync(zod, join(modules, 'zod'), 'dir');
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-actor', private: true, type: 'module' }));
      writeFileSync(
        join(project, 'main.mjs'),
        `import { Actor } from '@x/actor';
import { MemoryStorageClient } from '@x/memory-client';
const report = (e) => ({ code: e.code, message: e.message });
const out = {};
try { await Actor.init(); out.init = 'ok'; } catch (e) { out.init = report(e); }
await Actor.init({ storageClient: new MemoryStorageClient() });
await Actor.pushData({ works: 'without the client packages' });
out.items = (await (await Actor.openDataset()).getData()).items;
try { await Actor.openDataset({ forceCloud: true }); out.cloud = 'ok'; } catch (e) { out.cloud = report(e); }
await Actor.exit();
console.log(JSON.stringify(out));
`,
      );
    });

    it('local storage needs @x/fs-client, forceCloud needs @x/cloud-client; a given client works', () => {
      const result = runNode([...nodeTsArgs, 'main.mjs'], { cwd: project });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const out = JSON.parse(result.stdout) as Record<string, { code: string; message: string }>;
      expect(out['init']?.code).toBe('client-missing');
      expect(out['init']?.message).toContain('npm install @x/fs-client');
      expect(out['cloud']?.code).toBe('client-missing');
      expect(out['cloud']?.message).toContain('npm install @x/cloud-client');
      expect(out['items']).toEqual([{ works: 'without the client packages' }]);
    });

    it('the CLI says which package to install, on one line, exit code 1', () => {
      const result = runNode([...nodeTsArgs, join(project, 'node_modules', '@x', 'actor', 'src', 'cli.ts'), 'storages'], {
        cwd: project,
        env: cleanEnv(),
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('x-actor: Local storage needs the package @x/fs-client, which is not installed: npm install @x/fs-client\n');
    });
  });
});
