import { Dataset } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { benchItem } from './src/export-bench.js';
const count = 100_000;
const items = Array.from({ length: count }, (_, n) => benchItem(n));
const client = new MemoryStorageClient();
const ds = await Dataset.open({ name: 'p', storageClient: client });
for (let i = 0; i < count; i += 1000) await ds.pushData(items.slice(i, i + 1000));
for (let r = 0; r < 10; r++) { (globalThis as any).gc(); await ds.exportTo('x', { format: 'csv' }); }
