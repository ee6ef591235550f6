import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { StorageClient } from '@x/core';
import { CliUsageError } from './cli-args.js';
import { createFsClient, importOptionalPackage } from './load-client.js';

/** The package that serves the storage browser (an optional peer dependency of `@x/actor`). */
export const SERVER_PACKAGE = '@x/server';

/** The shape of `@x/server` that `x-actor ui` uses. */
interface ServerModule {
  startServer(options: { storageClient: StorageClient; host: string; port: number; token: string }): Promise<{ readonly url: string; close(): Promise<void> }>;
}

/** A fresh token for one `x-actor ui` session: 24 random bytes, base64url (32 characters). */
export function newUiToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The address of the storage browser: the token rides in the fragment, which browsers never send to the server. */
export function uiAddress(serverUrl: string, token: string): string {
  return `${serverUrl}/#token=${token}`;
}

/** True when a browser can be opened: macOS, Windows, or a Linux/BSD desktop (DISPLAY or WAYLAND_DISPLAY set). */
export function hasDesktop(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
}

/** The command that opens `address` in the default browser on `platform`. */
export function openerOf(address: string, platform: NodeJS.Platform = process.platform): { readonly command: string; readonly args: readonly string[] } {
  if (platform === 'darwin') return { command: 'open', args: [address] };
  // `start` is built into cmd; its first quoted argument is the window title.
  if (platform === 'win32') return { command: 'cmd', args: ['/d', '/s', '/c', 'start', '""', address] };
  return { command: 'xdg-open', args: [address] };
}

/** Tries to open `address` in a browser; a missing opener or one that fails is ignored. */
function tryOpen(address: string): void {
  const { command, args } = openerOf(address);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true });
    child.once('error', () => {});
    child.unref();
  } catch {
    // No opener: the address is printed anyway.
  }
}

/** True when the server serves the storage browser's page at `/` (its built files are there). */
async function pageServed(serverUrl: string): Promise<boolean> {
  try {
    const answer = await fetch(`${serverUrl}/`, { method: 'HEAD' });
    return answer.ok;
  } catch {
    return false;
  }
}

/** Resolves at the first SIGINT or SIGTERM; a second one while closing ends the process at once. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * `x-actor ui`: serves the storage browser of `@x/server` over the local storage folder on
 * 127.0.0.1 with a fresh token, prints its address (and opens it on a desktop), and runs until
 * SIGINT or SIGTERM, then closes the server and the client. Gives the exit code (0).
 */
export async function runUi(options: { readonly storageDir: string; readonly port: number }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { storageDir } = options;
  let isFolder = true;
  try {
    isFolder = statSync(storageDir).isDirectory();
  } catch {
    // Not there yet: the fs client makes it.
  }
  if (!isFolder) throw new CliUsageError(`ui: the storage folder ${storageDir} is not a folder`);
  const server = await importOptionalPackage<ServerModule>(SERVER_PACKAGE, 'x-actor ui (the storage browser)');
  const client = await createFsClient(storageDir);
  const token = newUiToken();
  let running: Awaited<ReturnType<ServerModule['startServer']>>;
  try {
    running = await server.startServer({ storageClient: client, host: '127.0.0.1', port: options.port, token });
  } catch (error) {
    await client.close();
    throw error;
  }
  const address = uiAddress(running.url, token);
  out.write(`Storage browser of ${storageDir}\n\n  ${address}\n\nThe token in the address is new for this session. Stop with Ctrl+C.\n`);
  // In a clone that was never built, @x/server runs from its sources and has no page to serve.
  if (!(await pageServed(running.url))) {
    out.write(`\nThe page itself is not built in this copy of ${SERVER_PACKAGE} (only its API answers): run \`npx -y pnpm@10 build\` at the repository root, then start x-actor ui again.\n`);
  }
  if (hasDesktop()) tryOpen(address);
  await untilStopped();
  await running.close();
  await client.close();
  return 0;
}
