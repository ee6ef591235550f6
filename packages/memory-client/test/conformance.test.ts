import { runConformanceSuite } from '@x/conformance';
import { MemoryStorageClient } from '../src/index.js';

runConformanceSuite('memory', { createClient: () => new MemoryStorageClient() });
