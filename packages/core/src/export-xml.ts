// The XML and RSS writers of the dataset export. xmlbuilder2 builds and escapes every element
// (text, attribute values, invalid characters); it is loaded on the first XML or RSS export only.
import type { fragment } from 'xmlbuilder2';

type XMLBuilder = ReturnType<typeof fragment>;

// XML 1.0 (fifth edition) names, without the colon (a colon would make a namespace prefix).
const NAME_START = 'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');
const NOT_NAME_CHAR = new RegExp(`[^${NAME_CHAR}]`, 'gu');
const NAME_START_CHAR = new RegExp(`^[${NAME_START}]`, 'u');

/** True when `name` can be an XML element name as it is (an XML 1.0 name without a colon). */
export function isXmlName(name: string): boolean {
  return XML_NAME.test(name);
}

/**
 * The element or attribute name a field is written under: the field's name where it is an XML
 * name, else the name with each character an XML name cannot hold (a space, `#`, `:`, `/`, …)
 * replaced by `_`, and `_` put before a first character that cannot start one (a digit, `-`, `.`).
 * `#debug` is written as `<_debug>`, `1st place` as `<_1st_place>`.
 */
export function xmlNameOf(field: string): string {
  if (XML_NAME.test(field)) return field;
  const replaced = field.replace(NOT_NAME_CHAR, '_');
  return NAME_START_CHAR.test(replaced) ? replaced : `_${replaced}`;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Writes the fields of `record` into `element`: `@` holds its attributes and `#` its text, as in the Apify API. */
function writeFields(element: XMLBuilder, record: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(record)) {
    if (field === '@' && isPlainRecord(value)) {
      for (const [name, attribute] of Object.entries(value)) {
        if (attribute !== null && attribute !== undefined) element.att(xmlNameOf(name), textOf(attribute));
      }
    } else if (field === '#' && (value === null || typeof value !== 'object')) {
      if (value !== null && value !== undefined) element.txt(textOf(value));
    } else {
      writeValue(element, xmlNameOf(field), value);
    }
  }
}

/** Writes `value` as `<name>` elements: an array as one element per entry, an object as child elements, null as an empty element. */
function writeValue(parent: XMLBuilder, name: string, value: unknown): void {
  if (Array.isArray(value)) {
    for (const entry of value) {
      // An array in an array keeps its level: one element holding the inner entries.
      if (Array.isArray(entry)) writeValue(parent.ele(name), name, entry);
      else writeValue(parent, name, entry);
    }
    return;
  }
  const element = parent.ele(name);
  if (isPlainRecord(value)) writeFields(element, value);
  else if (value !== null && value !== undefined && value !== '') element.txt(textOf(value));
}

/** Writes one item as an XML element of its own, and a channel header of an RSS feed. */
export interface XmlItemWriter {
  /** One item as a `<row>` element (indented one level, no line end). */
  item(item: Record<string, unknown>, row: string, indentLevel: number): string;
  /** `<title>` and `<description>` elements of an RSS channel. */
  channelHeader(title: string, description: string, indentLevel: number): string;
}

/** Loads xmlbuilder2 and gives the writer of items. */
export async function loadXmlItemWriter(): Promise<XmlItemWriter> {
  const { fragment } = await import('xmlbuilder2');
  const builderOptions = { invalidCharReplacement: '\uFFFD' };
  return {
    item(item, row, indentLevel) {
      const doc = fragment(builderOptions);
      writeFields(doc.ele(row), item);
      return doc.end({ prettyPrint: true, offset: indentLevel });
    },
    channelHeader(title, description, indentLevel) {
      const doc = fragment(builderOptions);
      doc.ele('title').txt(title).up().ele('description').txt(description);
      return doc.end({ prettyPrint: true, offset: indentLevel });
    },
  };
}
