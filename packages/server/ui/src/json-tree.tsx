import { useState } from 'preact/hooks';

/** Children shown per object or array before a "show more" button. */
const CHILDREN_SHOWN = 200;

interface NodeProps {
  readonly name?: string | undefined;
  readonly value: unknown;
  readonly depth: number;
  readonly openDepth: number;
}

function Primitive({ value }: { readonly value: unknown }) {
  if (value === null) return <span class="j-null">null</span>;
  switch (typeof value) {
    case 'string':
      return <span class="j-string">{JSON.stringify(value)}</span>;
    case 'number':
      return <span class="j-number">{String(value)}</span>;
    case 'boolean':
      return <span class="j-boolean">{String(value)}</span>;
    default:
      return <span class="j-null">{String(value)}</span>;
  }
}

function Label({ name }: { readonly name: string | undefined }) {
  return name === undefined ? null : <span class="j-key">{JSON.stringify(name)}: </span>;
}

function JsonNode({ name, value, depth, openDepth }: NodeProps) {
  const isObject = value !== null && typeof value === 'object';
  const [open, setOpen] = useState(depth < openDepth);
  const [shown, setShown] = useState(CHILDREN_SHOWN);
  if (!isObject) {
    return (
      <div class="j-line">
        <Label name={name} />
        <Primitive value={value} />
      </div>
    );
  }
  const isArray = Array.isArray(value);
  const entries: [string, unknown][] = isArray ? (value as unknown[]).map((v, i) => [String(i), v]) : Object.entries(value as object);
  const [opening, closing] = isArray ? ['[', ']'] : ['{', '}'];
  const summary = `${entries.length} ${isArray ? (entries.length === 1 ? 'item' : 'items') : entries.length === 1 ? 'key' : 'keys'}`;
  if (entries.length === 0) {
    return (
      <div class="j-line">
        <Label name={name} />
        <span class="j-punct">{opening + closing}</span>
      </div>
    );
  }
  return (
    <div class="j-node">
      <div class="j-line">
        <button type="button" class="j-toggle" aria-expanded={open} onClick={() => setOpen(!open)} title={open ? 'Collapse' : 'Expand'}>
          {open ? '▾' : '▸'}
        </button>
        <Label name={name} />
        <span class="j-punct">{opening}</span>
        {!open && (
          <>
            <span class="j-summary"> {summary} </span>
            <span class="j-punct">{closing}</span>
          </>
        )}
      </div>
      {open && (
        <>
          <div class="j-children">
            {entries.slice(0, shown).map(([key, child]) => (
              <JsonNode key={key} name={isArray ? undefined : key} value={child} depth={depth + 1} openDepth={openDepth} />
            ))}
            {entries.length > shown && (
              <button type="button" class="link" onClick={() => setShown(shown + CHILDREN_SHOWN * 5)}>
                Show more ({(entries.length - shown).toLocaleString('en-US')} left)
              </button>
            )}
          </div>
          <div class="j-line">
            <span class="j-punct">{closing}</span>
          </div>
        </>
      )}
    </div>
  );
}

/** A JSON value as a collapsible tree of text (nothing of it is ever parsed as HTML). */
export function JsonTree({ value, openDepth = 2 }: { readonly value: unknown; readonly openDepth?: number }) {
  return (
    <div class="json-tree">
      <JsonNode value={value} depth={0} openDepth={openDepth} />
    </div>
  );
}
