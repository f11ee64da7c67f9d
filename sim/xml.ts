/** The little XML OSS speaks: flat elements, escaped text, the declaration OSS always sends. */
/** Element text only needs `&`, `<` and `>` escaped; quotes stay readable, as in OSS's messages. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}

export type XmlChildren = ReadonlyArray<readonly [string, string | XmlChildren]>;

function render(children: XmlChildren, indent: string): string {
  return children
    .map(([name, value]) =>
      typeof value === 'string'
        ? `${indent}<${name}>${escapeXml(value)}</${name}>\n`
        : `${indent}<${name}>\n${render(value, `${indent}  `)}${indent}</${name}>\n`,
    )
    .join('');
}

export function xmlDocument(root: string, children: XmlChildren): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n${render(children, '  ')}</${root}>\n`;
}
