import { describe, expect, it } from 'vitest';
import { flattenItem, itemsToCsv, itemsToJson, projectItems } from '../src/index.js';

describe('flattenItem', () => {
  it('keeps top-level scalars', () => {
    expect([...flattenItem({ a: 1, b: 'x', c: true, d: null })]).toEqual([
      ['a', 1],
      ['b', 'x'],
      ['c', true],
      ['d', null],
    ]);
  });

  it('flattens nested objects as a/b and arrays as a/0, in order', () => {
    const flat = flattenItem({ name: 'Ann', address: { city: 'Prague', zip: '11000' }, tags: ['x', 'y'] });
    expect([...flat]).toEqual([
      ['name', 'Ann'],
      ['address/city', 'Prague'],
      ['address/zip', '11000'],
      ['tags/0', 'x'],
      ['tags/1', 'y'],
    ]);
  });

  it('flattens deep nesting of objects and arrays', () => {
    const flat = flattenItem({ a: { b: { c: [{ d: 1 }, [2, { e: null }]] } } });
    expect(Object.fromEntries(flat)).toEqual({
      'a/b/c/0/d': 1,
      'a/b/c/1/0': 2,
      'a/b/c/1/1/e': null,
    });
  });

  it('keeps null as a value, at any depth', () => {
    const flat = flattenItem({ top: null, nested: { inner: null }, list: [null] });
    expect(flat.get('top')).toBeNull();
    expect(flat.get('nested/inner')).toBeNull();
    expect(flat.get('list/0')).toBeNull();
    expect(flat.has('top')).toBe(true);
  });

  it('gives nothing for an empty item', () => {
    expect(flattenItem({}).size).toBe(0);
  });
});

describe('itemsToCsv', () => {
  it('writes a header and rows with CRLF line ends', () => {
    expect(itemsToCsv([{ a: 1, b: 'x' }, { a: 2, b: 'y' }])).toBe('a,b\r\n1,x\r\n2,y\r\n');
  });

  it('makes the header the union of keys in first-seen order, leaving missing values empty', () => {
    const csv = itemsToCsv([{ b: 1, a: 2 }, { c: 3 }, { a: 4, d: 5, b: 6 }]);
    expect(csv).toBe('b,a,c,d\r\n1,2,,\r\n,,3,\r\n6,4,,5\r\n');
  });

  it('flattens nested values into their own columns, as the Apify API does', () => {
    const csv = itemsToCsv([
      { name: 'Ann', address: { city: 'Prague' }, tags: ['a', 'b'] },
      { name: 'Bob', address: { city: 'Brno', zip: '60200' }, tags: ['c'] },
    ]);
    expect(csv).toBe(
      'name,address/city,tags/0,tags/1,address/zip\r\n' + 'Ann,Prague,a,b,\r\n' + 'Bob,Brno,c,,60200\r\n',
    );
  });

  it('quotes fields with a comma, a quote, CR or LF, doubling quotes (RFC 4180)', () => {
    const csv = itemsToCsv([
      { v: 'a,b' },
      { v: 'say "hi"' },
      { v: 'line1\nline2' },
      { v: 'cr\rhere' },
      { v: 'crlf\r\nhere' },
      { v: '"' },
      { v: 'plain text' },
    ]);
    expect(csv).toBe(
      'v\r\n' +
        '"a,b"\r\n' +
        '"say ""hi"""\r\n' +
        '"line1\nline2"\r\n' +
        '"cr\rhere"\r\n' +
        '"crlf\r\nhere"\r\n' +
        '""""\r\n' +
        'plain text\r\n',
    );
  });

  it('quotes header names that need it', () => {
    expect(itemsToCsv([{ 'a,b': 1, 'say "x"': 2 }])).toBe('"a,b","say ""x"""\r\n1,2\r\n');
  });

  it('writes numbers and booleans as text, and null as an empty field', () => {
    expect(itemsToCsv([{ n: 1.5, z: 0, neg: -3, t: true, f: false, none: null, s: '' }])).toBe(
      'n,z,neg,t,f,none,s\r\n1.5,0,-3,true,false,,\r\n',
    );
  });

  it('gives an empty string for no items, or items without fields', () => {
    expect(itemsToCsv([])).toBe('');
    expect(itemsToCsv([{}, {}])).toBe('');
  });

  it('parses back to the same cells with a strict RFC 4180 reader', () => {
    const items = [
      { id: 1, text: 'comma, quote " and\r\nnewline' },
      { id: 2, text: 'plain' },
    ];
    const rows = parseCsv(itemsToCsv(items));
    expect(rows).toEqual([
      ['id', 'text'],
      ['1', 'comma, quote " and\r\nnewline'],
      ['2', 'plain'],
    ]);
  });
});

describe('itemsToJson', () => {
  it('writes a pretty JSON array that parses back to the items', () => {
    const items = [{ a: 1, nested: { b: [1, 2] } }, { c: 'x' }];
    const json = itemsToJson(items);
    expect(json).toBe(JSON.stringify(items, null, 2));
    expect(json).toContain('\n  {');
    expect(JSON.parse(json)).toEqual(items);
  });

  it('writes [] for no items', () => {
    expect(itemsToJson([])).toBe('[]');
  });
});

describe('projectItems', () => {
  const items = (): Record<string, unknown>[] => [
    { '#debug': 'x', a: 1, b: 2, c: 3 },
    { a: 4, c: 6 },
    { '#error': true },
  ];

  it('gives the items back untouched with no options', () => {
    const input = items();
    expect(projectItems(input, {})).toBe(input);
  });

  it('keeps only `fields`, in the order of `fields`, skipping missing ones', () => {
    const out = projectItems(items(), { fields: ['c', 'a', 'missing'] });
    expect(out).toEqual([{ c: 3, a: 1 }, { c: 6, a: 4 }, {}]);
    expect(Object.keys(out[0] ?? {})).toEqual(['c', 'a']);
  });

  it('leaves out `omit` fields', () => {
    expect(projectItems(items(), { omit: ['a', '#debug'] })).toEqual([{ b: 2, c: 3 }, { c: 6 }, { '#error': true }]);
  });

  it('applies fields and then omit', () => {
    expect(projectItems(items(), { fields: ['a', 'b'], omit: ['b'] })).toEqual([{ a: 1 }, { a: 4 }, {}]);
  });

  it('with clean, drops # fields and the items left empty', () => {
    expect(projectItems(items(), { clean: true })).toEqual([{ a: 1, b: 2, c: 3 }, { a: 4, c: 6 }]);
  });

  it('with clean, drops items that were empty to begin with or emptied by fields/omit', () => {
    const input = [{}, { a: 1 }, { b: 2 }];
    expect(projectItems(input, { clean: true })).toEqual([{ a: 1 }, { b: 2 }]);
    expect(projectItems(input, { clean: true, fields: ['a'] })).toEqual([{ a: 1 }]);
    expect(projectItems(input, { clean: true, omit: ['b'] })).toEqual([{ a: 1 }]);
  });

  it('does not change the input items', () => {
    const input = items();
    const before = structuredClone(input);
    projectItems(input, { omit: ['a'], clean: true });
    projectItems(input, { fields: ['b'] });
    expect(input).toEqual(before);
  });

  it('does not pick up inherited properties as fields', () => {
    expect(projectItems([{ a: 1 }], { fields: ['toString', 'a'] })).toEqual([{ a: 1 }]);
  });
});

/** A strict RFC 4180 parser for checking the output (CRLF records, quoted fields). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      if (ch === '\r' || ch === '\n' || ch === '"') throw new Error(`Unquoted ${JSON.stringify(ch)} at ${i}`);
      field += ch;
      i++;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}
