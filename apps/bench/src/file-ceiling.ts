import { closeSync, mkdtempSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Raw rates of writing one small file by temp + rename, in files per second. */
export interface FileCeiling {
  /** Each file new. */
  readonly create: number;
  /** Each file renamed over one written just before (as marking a request handled does after it was added). */
  readonly replace: number;
  readonly files: number;
  /** Measurements this is the fastest of. */
  readonly samples: number;
}

/** Writes one small file through a temporary file renamed into place, synchronously. */
function writeThroughTemp(path: string, payload: Buffer): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w');
  writeSync(fd, payload);
  closeSync(fd);
  renameSync(temp, path);
}

function filesPerSecond(files: number, write: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < files; i++) write(i);
  return (files * 1000) / (performance.now() - start);
}

/**
 * The raw rate of writing one small file (about 300 bytes) by a temporary file renamed into
 * place, synchronously, in a fresh folder inside `parentDir`: the ceiling of a storage that writes
 * one file per operation, measured on this machine in this run. Measured twice: creating the
 * files, then replacing each of them. The files stay (the caller removes `parentDir` at the end):
 * deleting them would slow down the disk for whatever runs next.
 */
export function measureFileCeiling(files: number, parentDir: string): FileCeiling {
  const dir = mkdtempSync(join(parentDir, 'ceiling-'));
  const payload = Buffer.from(JSON.stringify({ url: 'https://shop.example.com/products/1', title: 'x'.repeat(240) }));
  const pathOf = (i: number): string => join(dir, `${String(i).padStart(9, '0')}.json`);
  const create = filesPerSecond(files, (i) => writeThroughTemp(pathOf(i), payload));
  const replace = filesPerSecond(files, (i) => writeThroughTemp(pathOf(i), payload));
  return { create, replace, files, samples: 1 };
}
