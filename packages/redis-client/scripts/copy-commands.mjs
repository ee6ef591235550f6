// Copies the Lua scripts (src/commands, with includes/) next to the compiled code, where
// src/lua-scripts.ts looks for them: dist/commands, or <outDir>/commands when given.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = resolve(packageDir, process.argv[2] ?? 'dist');
const target = resolve(outDir, 'commands');
rmSync(target, { recursive: true, force: true });
cpSync(resolve(packageDir, 'src/commands'), target, { recursive: true, filter: (path) => !path.endsWith('.ts') });
