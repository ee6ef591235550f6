#!/usr/bin/env node
// The bin stays in the package (not in dist/) so installing a fresh workspace can link it before a
// build. An installed package runs dist/; in a clone of the repository that is not built yet, the
// TypeScript source runs through tsx (a dev dependency of the workspace), with the same arguments.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli.js', import.meta.url);
const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    tsx = undefined;
  }
  if (tsx === undefined || !existsSync(source)) {
    process.stderr.write('x-actor: the package is not built (dist/cli.js is missing); run: npx -y pnpm@10 build\n');
    process.exit(1);
  }
  const child = spawn(process.execPath, ['--conditions=@x/source', '--import', tsx, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1);
  });
}
