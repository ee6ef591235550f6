const hooks = new Set<() => void>();
let installed = false;

/**
 * Runs `hook` (synchronously) when the process exits normally; gives a function that cancels it.
 * One `exit` listener serves every hook, however many storages are open.
 */
export function runAtExit(hook: () => void): () => void {
  hooks.add(hook);
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const run of [...hooks]) {
        try {
          run();
        } catch {
          // The process is ending; what could not be written is rebuilt from the files on the next open.
        }
      }
    });
  }
  return () => hooks.delete(hook);
}
