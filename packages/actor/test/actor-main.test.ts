import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtActorFixture, cleanEnv, packageDir, removeTempDirs, runNode, tempDir } from './helpers.js';

// test/fixtures/main-actor.ts, compiled once to run on the build of @x/actor with plain node (a
// start through tsx would compile the sources each time).
let fixture: string;

beforeAll(async () => {
  fixture = await builtActorFixture();
});

function runFixture(mode: string, storageDir: string) {
  return runNode([fixture], { cwd: packageDir, env: cleanEnv({ FIXTURE_MODE: mode, CRAWLEE_STORAGE_DIR: storageDir }) });
}

afterAll(removeTempDirs);

describe('Actor.main in a real process', () => {
  it('runs init, the function and exit: exit code 0, input read, results on disk', () => {
    const storageDir = tempDir();
    mkdirSync(join(storageDir, 'key_value_stores', 'default'), { recursive: true });
    writeFileSync(join(storageDir, 'key_value_stores', 'default', 'INPUT.json'), JSON.stringify({ greeting: 'hi' }));
    const result = runFixture('success', storageDir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('INFO    Done');
    expect(JSON.parse(readFileSync(join(storageDir, 'datasets', 'default', '000000001.json'), 'utf8'))).toEqual({ greeting: 'hi' });
    expect(JSON.parse(readFileSync(join(storageDir, 'key_value_stores', 'default', 'OUTPUT.json'), 'utf8'))).toEqual({ done: true });
    // The fs client's pending metadata was flushed at exit.
    expect(JSON.parse(readFileSync(join(storageDir, 'datasets', 'default', '__metadata__.json'), 'utf8'))).toMatchObject({ itemCount: 1 });
  });

  it('logs the error and exits with 1 when the function throws; what was written stays', () => {
    const storageDir = tempDir();
    const result = runFixture('fail', storageDir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ERROR   The Actor failed');
    expect(result.stderr).toContain('Error: Something went wrong in the Actor');
    expect(result.stdout).not.toContain('STILL RUNNING');
    expect(JSON.parse(readFileSync(join(storageDir, 'datasets', 'default', '000000001.json'), 'utf8'))).toEqual({ before: 'failure' });
  });

  it('with exit: false, main resolves after a failure and leaves exit code 1 to the process', () => {
    const result = runFixture('fail-no-exit', tempDir());
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('after main, exitCode=1');
    expect(result.stderr).toContain('Failed without process.exit');
  });

  it('await using: the run ends with the block and its auto-saved values are written', () => {
    const storageDir = tempDir();
    const result = runFixture('await-using', storageDir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('initialized after the block: false');
    expect(JSON.parse(readFileSync(join(storageDir, 'key_value_stores', 'default', 'STATE.json'), 'utf8'))).toEqual({ steps: 3 });
  });
});
