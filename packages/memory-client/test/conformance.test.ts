import { runConformanceSuite } from '@x/conformance';
import { MemoryStorageClient } from '../src/index.js';

// Memory is quick: its property tests try more random sequences than the other clients'.
runConformanceSuite('memory', { createClient: () => new MemoryStorageClient(), propertyRuns: 300 });
