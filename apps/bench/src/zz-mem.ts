import { RequestQueue } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
const mb = (n: number) => Math.round(n / 1048576);
const show = (label: string) => { const m = process.memoryUsage(); console.log(label, 'rss', mb(m.rss), 'heapUsed', mb(m.heapUsed), 'heapTotal', mb(m.heapTotal), 'maxRSS', Math.round(process.resourceUsage().maxRSS / 1024)); };
(globalThis as any).gc?.(); show('start');
const q = await RequestQueue.open({ name: 'scale', storageClient: new FileSystemStorageClient({ storageDir: process.argv[2]! }) });
show('opened');
(globalThis as any).gc?.();
show('after gc');
let n = 0;
for (let r = await q.fetchNextRequest(); r && n < 20000; r = await q.fetchNextRequest()) { n++; }
show('fetched 20k');
(globalThis as any).gc?.(); show('after gc');
