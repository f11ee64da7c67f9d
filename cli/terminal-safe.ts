/**
 * Text that came from OSS (an error's <Message>) or from an object key is whatever an uploader or a
 * server chose, and a terminal acts on some characters: ESC and CSI start sequences that move the
 * cursor, retitle the window or rewrite what was printed; CR and backspace overwrite a line;
 * bidirectional overrides reorder what is read. These are printed escaped instead.
 */

/** C0 controls, DEL, C1 controls, and the bidirectional and line-breaking format characters: for one value on one line. */
const UNSAFE_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same but tab and newline, which a message may hold. */
const UNSAFE = new RegExp(`(?![\\t\\n])${UNSAFE_IN_LINE.source}`, 'g');

/** `\uNNNN`, as JSON escapes a character. */
const unicodeEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
const escape = (char: string) => {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : unicodeEscape(char);
};

/** A message for the terminal: every unsafe character as `\xNN` or `\uNNNN`; newlines and tabs kept. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** One value on one line (a key): newlines and tabs escaped too. */
export function terminalSafeInLine(text: string): string {
  return text.replace(UNSAFE_IN_LINE, escape);
}

/** As `terminalSafeInLine`, every escape `\uNNNN` as JSON writes it: a table cell. */
export function terminalSafeCell(text: string): string {
  return text.replace(UNSAFE_IN_LINE, unicodeEscape);
}

/** JSON whose strings hold no character a terminal acts on: JSON.stringify leaves DEL, C1 and the format characters raw; here they are `\uNNNN`, the same value to a parser. */
export function terminalSafeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(UNSAFE, unicodeEscape);
}
