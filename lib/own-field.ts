/**
 * Put `name: value` on a record of names chosen by others (template fields, metadata headers, a
 * Tablestore row's columns) as a field of its own: defined, not assigned, so a name such as
 * `__proto__` stays a field instead of setting the prototype.
 */
export function setOwnField<T>(target: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}
