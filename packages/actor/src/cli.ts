#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StorageError } from '@x/core';
import { CLI_USAGE, CliUsageError, parseCliArgs, type CliCommand } from './cli-args.js';
import { closeOutput, exportDataset, findDataset, openOutput } from './cli-export.js';
import { runActor } from './cli-run.js';
import { formatStorages, listStorages } from './cli-storages.js';
import { runUi } from './cli-ui.js';
import { resolveConfig } from './config.js';
import { createFsClient } from './load-client.js';

async function main(command: CliCommand): Promise<number> {
  switch (command.command) {
    case 'help':
      process.stdout.write(`${CLI_USAGE[command.topic]}\n`);
      return 0;
    case 'version': {
      // The package's own manifest: ../package.json from src/ and from dist/ alike.
      const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      process.stdout.write(`${manifest.version}\n`);
      return 0;
    }
    case 'run':
      return runActor(command);
    case 'storages': {
      const config = resolveConfig();
      const rows = await listStorages(await createFsClient(config.storageDir));
      if (rows.length === 0) process.stdout.write(`No storages in ${config.storageDir}\n`);
      else process.stdout.write(`Storages in ${config.storageDir}\n\n${formatStorages(rows)}\n`);
      return 0;
    }
    case 'ui':
      return runUi({ storageDir: command.storageDir === undefined ? resolveConfig().storageDir : resolve(command.storageDir), port: command.port });
    case 'export': {
      const config = resolveConfig();
      const dataset = await findDataset(await createFsClient(config.storageDir), command.dataset);
      const out = command.output === undefined ? process.stdout : await openOutput(resolve(command.output));
      const count = await exportDataset(dataset, command.format, out, process.stderr, command.options);
      if (command.output !== undefined) {
        await closeOutput(out);
        process.stderr.write(`Exported ${count} items of dataset "${command.dataset}" to ${command.output}\n`);
      }
      return 0;
    }
  }
}

function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`x-actor: ${message.split('\n')[0]}\n`);
  process.exit(error instanceof CliUsageError || (StorageError.is(error) && error.code === 'invalid-argument') ? 2 : 1);
}

let command: CliCommand;
try {
  command = parseCliArgs(process.argv.slice(2));
} catch (error) {
  fail(error);
}
main(command).then((code) => {
  process.exitCode = code;
}, fail);
