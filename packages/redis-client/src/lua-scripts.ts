import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The folder of the Lua scripts: `src/commands` when run from the sources, `dist/commands` once built. */
const COMMANDS_DIR = new URL('./commands/', import.meta.url);
const INCLUDE = /^--- @include "([a-z0-9-]+)"\s*$/gm;

/** A Lua script ready to run: its source with the includes in place, its SHA-1 and how many keys it takes. */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly source: string;
  readonly sha: string;
}

const loaded = new Map<string, LuaScript>();

function readCommandFile(path: string): string {
  return readFileSync(new URL(path, COMMANDS_DIR), 'utf8');
}

/** Replaces each `--- @include "name"` line with `includes/name.lua`, each include at most once. */
function expandIncludes(source: string, seen: Set<string>): string {
  return source.replace(INCLUDE, (_line, include: string) => {
    if (seen.has(include)) return '';
    seen.add(include);
    return expandIncludes(readCommandFile(`includes/${include}.lua`), seen);
  });
}

/**
 * The script `src/commands/<name>-<numberOfKeys>.lua` with its includes expanded (BullMQ's layout:
 * one file per command, the key count in its name, shared fragments in `includes/`). Read once
 * per process.
 */
export function luaScript(name: string, numberOfKeys: number): LuaScript {
  const file = `${name}-${numberOfKeys}`;
  let script = loaded.get(file);
  if (!script) {
    const source = expandIncludes(readCommandFile(`${file}.lua`), new Set());
    script = { name, numberOfKeys, source, sha: createHash('sha1').update(source).digest('hex') };
    loaded.set(file, script);
  }
  return script;
}
