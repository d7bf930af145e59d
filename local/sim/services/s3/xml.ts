import { escapeXml } from '../../protocol.ts';
import { malformedXml } from './errors.ts';

/**
 * The little XML S3 request bodies need (CompleteMultipartUpload, Delete, configurations), parsed
 * strictly: anything malformed, a DOCTYPE (no entity expansion, ever) or absurd nesting is S3's
 * MalformedXML. Namespace prefixes and attributes are ignored.
 */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const MAX_DEPTH = 32;

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (match, entity: string) => {
    if (entity.startsWith('#x')) return safeCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return safeCodePoint(parseInt(entity.slice(1), 10));
    const named = ENTITIES[entity];
    if (named === undefined) throw malformedXml();
    return named;
  });
}

function safeCodePoint(code: number): string {
  if (!Number.isFinite(code) || code < 0 || code > 0x10ffff) throw malformedXml();
  return String.fromCodePoint(code);
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = () => {
    throw malformedXml();
  };
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = lt === -1 ? source.slice(i) : source.slice(i, lt);
    if (text.length > 0) {
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text);
      else if (text.trim() !== '') fail();
    }
    if (lt === -1) break;
    if (source.startsWith('<?', lt)) {
      const end = source.indexOf('?>', lt);
      if (end === -1 || stack.length > 0 || root) fail();
      i = end + 2;
    } else if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt);
      if (end === -1) fail();
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt);
      const top = stack[stack.length - 1];
      if (end === -1 || !top) fail();
      top!.text += source.slice(lt + 9, end);
      i = end + 3;
    } else if (source.startsWith('<!', lt)) {
      fail();
    } else if (source.startsWith('</', lt)) {
      const end = source.indexOf('>', lt);
      if (end === -1) fail();
      const name = localName(source.slice(lt + 2, end).trim());
      const open = stack.pop();
      if (!open || open.name !== name) fail();
      if (stack.length === 0) root = open;
      i = end + 1;
    } else {
      const end = findTagEnd(source, lt);
      if (end === -1) fail();
      let inner = source.slice(lt + 1, end);
      const selfClosing = inner.endsWith('/');
      if (selfClosing) inner = inner.slice(0, -1);
      const nameMatch = /^([A-Za-z_][\w.:-]*)/.exec(inner);
      if (!nameMatch) fail();
      if (root || stack.length >= MAX_DEPTH) fail();
      const element: XmlElement = { name: localName(nameMatch![1]!), children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      if (selfClosing) {
        if (!parent) root = element;
      } else {
        stack.push(element);
      }
      i = end + 1;
    }
  }
  if (!root || stack.length > 0) fail();
  return root!;
}

function findTagEnd(source: string, from: number): number {
  let quote: string | undefined;
  for (let j = from + 1; j < source.length; j++) {
    const c = source[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
    else if (c === '<') return -1;
  }
  return -1;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

export function childText(element: XmlElement, name: string): string | undefined {
  const found = child(element, name);
  return found === undefined ? undefined : found.text.trim();
}

/** Parses a request body that must be an XML document with the given root element. */
export function parseXmlBody(body: Buffer, rootName: string): XmlElement {
  const root = parseXml(body.toString('utf8'));
  if (root.name !== rootName) throw malformedXml();
  return root;
}

// ---- building responses ----------------------------------------------------------------------

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

type Scalar = string | number | boolean | Date | undefined | null;

/** `<name>escaped value</name>`, or nothing when the value is absent. */
export function el(name: string, value: Scalar): string {
  if (value === undefined || value === null) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return `<${name}>${escapeXml(text)}</${name}>`;
}

/** `<name>…children…</name>` from already-built XML. */
export function group(name: string, ...children: string[]): string {
  return `<${name}>${children.join('')}</${name}>`;
}

export function xmlDocument(root: string, ...children: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${children.join('')}</${root}>`;
}
