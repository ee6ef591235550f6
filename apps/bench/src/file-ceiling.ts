import { closeSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The raw rate of writing one small file (about 300 bytes) by a temporary file renamed into
 * place, synchronously, in a fresh folder: the ceiling of a storage that writes one file per
 * operation, measured on this machine in this run.
 */
export function measureFileCeiling(files: number): { opsPerSec: number; files: number } {
  const dir = mkdtempSync(join(tmpdir(), 'x-bench-ceiling-'));
  const payload = Buffer.from(JSON.stringify({ url: 'https://shop.example.com/products/1', title: 'x'.repeat(240) }));
  try {
    const start = performance.now();
    for (let i = 0; i < files; i++) {
      const path = join(dir, `${String(i).padStart(9, '0')}.json`);
      const temp = `${path}.tmp`;
      const fd = openSync(temp, 'w');
      writeSync(fd, payload);
      closeSync(fd);
      renameSync(temp, path);
    }
    const ms = performance.now() - start;
    return { opsPerSec: (files * 1000) / ms, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
