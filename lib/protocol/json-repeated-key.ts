/**
 * The first object key that appears twice in one object of a JSON text, at any depth, or undefined.
 * JSON parsers keep one of the two (lossless-json refuses only a repeat with another value), so a
 * repeat must be found in the text. `text` must already be valid JSON: this only tracks strings,
 * objects and arrays.
 */
export function firstRepeatedKey(text: string): string | undefined {
  // One entry per open object (its keys so far) or array (null).
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '{') open.push(new Set());
    else if (char === '[') open.push(null);
    else if (char === '}' || char === ']') open.pop();
    else if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      let next = end + 1;
      while (text[next] === ' ' || text[next] === '\t' || text[next] === '\n' || text[next] === '\r') next++;
      const keys = open.at(-1);
      // A string directly inside an object and followed by ':' is a key; compare keys decoded ("\u0061" is "a").
      if (keys && text[next] === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}
