/**
 * Where an upload lands: `<keyPrefix><user>/<ticket id>/<file name>`, the key prefix with a dated
 * prefix's fields filled in for the time of issue. The user's folder is what the policy and the
 * ticket bind; the ticket id keeps two uploads of `photo.jpg` apart.
 */

/** The user's folder: the subject percent-encoded, so `/` or `..` in it cannot reach another folder. */
export function userPrefix(keyPrefix: string, subject: string): string {
  const segment = encodeURIComponent(subject).replace(/\./g, '%2E');
  return `${keyPrefix}${segment}/`;
}

const MAX_NAME_BYTES = 200;

/**
 * The file name as a last key segment: no folders (a browser may send `C:\fakepath\x`), no control
 * characters, NFC, at most 200 bytes of UTF-8 with the extension kept; `file` when nothing is left.
 */
export function safeFileName(fileName: string): string {
  const base = fileName.normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (name === '' || /^\.+$/.test(name)) return 'file';
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  name = name.slice(0, name.length - extension.length);
  while (Buffer.byteLength(name + extension) > MAX_NAME_BYTES) name = [...name].slice(0, -1).join('');
  return name + extension;
}

export function objectKey(prefix: string, ticketId: string, fileName: string): string {
  return `${prefix}${ticketId}/${safeFileName(fileName)}`;
}
