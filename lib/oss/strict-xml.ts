/**
 * A strict reader for the small XML documents OSS answers with (a listing page, an error): elements,
 * attributes, text, the five predefined entities and character references to characters XML 1.0
 * allows, comments, and the XML declaration. Anything else (a DOCTYPE, an entity of its own, CDATA, a
 * processing instruction, a control character, a character reference XML forbids, bytes that are not
 * UTF-8, a document cut short) is refused with an XmlError naming it: OSS sends none of it, and a
 * lenient parser reads such a document as something it does not say. It keeps one element per tag
 * and no more, so memory stays a small multiple of the document.
 */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  /** The element's own text, entities resolved; '' for an element with children. */
  text: string;
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** Characters XML 1.0 forbids anywhere in a document (its `Char` production, as UTF-16 code units). */
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_DEPTH = 16;

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** Text with its references resolved; throws on anything but the five entities and allowed characters. */
function resolveText(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s<]{0,32});?/g, (whole, reference: string) => {
    if (!whole.endsWith(';')) throw new XmlError(`an "&" that starts no reference: ${JSON.stringify(whole.slice(0, 12))}`);
    if (Object.hasOwn(PREDEFINED, reference)) return PREDEFINED[reference]!;
    const number = /^#x([0-9A-Fa-f]{1,6})$/.exec(reference)?.[1] ?? /^#([0-9]{1,7})$/.exec(reference)?.[1];
    if (number === undefined) throw new XmlError(`the entity &${reference}; (a document may only use &lt; &gt; &amp; &quot; &apos;)`);
    const code = reference.startsWith('#x') ? parseInt(number, 16) : parseInt(number, 10);
    if (!isXmlChar(code)) throw new XmlError(`the character reference &${reference};, to a character XML 1.0 does not allow`);
    return String.fromCodePoint(code);
  });
}

export function parseStrictXml(bytes: Buffer): XmlElement {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new XmlError('bytes that are not UTF-8');
  }
  const forbidden = NOT_XML_CHAR.exec(text);
  if (forbidden) throw new XmlError(`the character U+${forbidden[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which XML 1.0 does not allow`);

  let at = 0;
  const fail = (what: string): never => {
    throw new XmlError(`${what} at character ${at}`);
  };
  const skipSpace = () => {
    while (at < text.length && ' \t\r\n'.includes(text[at]!)) at++;
  };
  /** Comments and, at the very start, the XML declaration; refuses every other markup declaration. */
  const skipMisc = (start: boolean) => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', at)) {
        const end = text.indexOf('-->', at + 4);
        if (end === -1) fail('a comment that does not end');
        at = end + 3;
      } else if (text.startsWith('<?', at)) {
        if (!(start && at === 0 && /^<\?xml\s/.test(text.slice(0, 6)))) fail('a processing instruction');
        const end = text.indexOf('?>', at);
        if (end === -1) fail('an XML declaration that does not end');
        at = end + 2;
        start = false;
      } else if (text.startsWith('<!', at)) {
        fail(text.startsWith('<!DOCTYPE', at) ? 'a DOCTYPE' : text.startsWith('<![CDATA[', at) ? 'a CDATA section' : 'a markup declaration');
      } else return;
    }
  };

  const element = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`);
    if (text[at] !== '<') fail('text where an element should start');
    at++;
    const name = NAME.exec(text.slice(at, at + 256))?.[0];
    if (!name) fail('an element without a name');
    at += name!.length;
    // Attributes: read and checked, not kept (OSS's documents carry at most an xmlns).
    for (;;) {
      skipSpace();
      if (text.startsWith('/>', at)) {
        at += 2;
        return { name: name!, children: [], text: '' };
      }
      if (text[at] === '>') break;
      const attribute = /^([A-Za-z_][\w.:-]*)\s*=\s*("[^"<]*"|'[^'<]*')/.exec(text.slice(at, at + 4096));
      if (!attribute) fail(`a malformed attribute in <${name}>`);
      resolveText(attribute![2]!.slice(1, -1));
      at += attribute![0].length;
    }
    at++;
    const children: XmlElement[] = [];
    let own = '';
    for (;;) {
      const next = text.indexOf('<', at);
      if (next === -1) fail(`<${name}> that never ends (a document cut short)`);
      own += text.slice(at, next);
      at = next;
      if (text.startsWith('</', at)) {
        const close = `</${name}`;
        if (!text.startsWith(close, at)) fail(`a closing tag that does not close <${name}>`);
        at += close.length;
        skipSpace();
        if (text[at] !== '>') fail(`a malformed closing tag of <${name}>`);
        at++;
        break;
      }
      if (text.startsWith('<!', at) || text.startsWith('<?', at)) {
        // Skips a comment; refuses a DOCTYPE, CDATA or a processing instruction.
        skipMisc(false);
        continue;
      }
      children.push(element(depth + 1));
    }
    if (children.length > 0 && own.trim() !== '') fail(`text beside elements in <${name}>`);
    return { name: name!, children, text: children.length > 0 ? '' : resolveText(own) };
  };

  skipMisc(true);
  if (at >= text.length) throw new XmlError('an empty document');
  const root = element(1);
  skipMisc(false);
  if (at < text.length) fail('more after the document element');
  return root;
}

/** The one child named `name`; undefined when there is none, an XmlError when there are several. */
export function onlyChild(parent: XmlElement, name: string): XmlElement | undefined {
  let found: XmlElement | undefined;
  for (const child of parent.children) {
    if (child.name !== name) continue;
    if (found) throw new XmlError(`<${name}> twice in <${parent.name}>`);
    found = child;
  }
  return found;
}
