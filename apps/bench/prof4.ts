import { Dataset, exportDatasetItems } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { benchItem } from './src/export-bench.js';
const count = 100_000;
const items = Array.from({ length: count }, (_, n) => benchItem(n));
const client = new MemoryStorageClient();
const ds = await Dataset.open({ name: 'p', storageClient: client });
for (let i = 0; i < count; i += 1000) await ds.pushData(items.slice(i, i + 1000));
const h = await client.openDataset({ kind: 'id', id: ds.id });
const t = async (label: string, fn: () => Promise<unknown> | unknown) => { (globalThis as any).gc?.(); const s = performance.now(); await fn(); console.log(label, (performance.now() - s).toFixed(0), 'ms'); };
for (let r = 0; r < 4; r++) {
  await t('texts only', async () => { for (let o = 0; o < count; o += 1000) await h.listItemTexts!({ offset: o, limit: 1000, desc: false }); });
  await t('texts + join + Buffer', async () => { const b = []; for (let o = 0; o < count; o += 1000) b.push(Buffer.from((await h.listItemTexts!({ offset: o, limit: 1000, desc: false })).items.join('\n') + '\n')); Buffer.concat(b); });
  await t('jsonl stream', async () => (await exportDatasetItems(h, { format: 'jsonl' })).toBuffer());
  await t('jsonl exportTo', async () => ds.exportTo('x', { format: 'jsonl' }));
  await t('csv exportTo', async () => ds.exportTo('y', { format: 'csv' }));
}
