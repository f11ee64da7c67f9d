import { ConfigError } from './config.js';
import { importAtRunTime } from './runtime-import.js';

/** Node and Bun say `Cannot find package 'name'`, Deno `Import "name" not a dependency`; require() says MODULE_NOT_FOUND. */
const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/** Whether `error` says that the package `name` itself is not installed (not a module missing inside it). */
function saysMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  return NOT_FOUND.has(code ?? '') && typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`));
}

/** Which of `packages` are not installed: each one tried, since the first failure names only one. */
async function notInstalled(packages: readonly string[], named: string): Promise<string[]> {
  if (packages.length === 1) return [named];
  const tried = await Promise.all(packages.map((name) => importAtRunTime(name).then(() => undefined, (error: unknown) => (saysMissing(error, name) ? name : undefined))));
  const missing = tried.filter((name) => name !== undefined);
  return missing.includes(named) ? missing : [named, ...missing];
}

/**
 * Load a module that needs packages this one does not install for its users (optional peers: a
 * store's SDK, the simulator's parsers). When some are missing, the error names every one of them
 * and the `npm install` that fixes it, instead of the runtime's "Cannot find package" for the first.
 */
export async function withPeers<T>(packages: readonly [string, ...string[]], feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    // Only the peers themselves: a module missing inside one is a broken install, reported as it is.
    const named = packages.find((name) => saysMissing(error, name));
    if (named === undefined) throw error;
    const missing = await notInstalled(packages, named);
    const needs = packages.length === 1 ? `the package ${named}` : `the packages ${packages.join(', ')} (not installed: ${missing.join(', ')})`;
    throw new ConfigError(`${feature} needs ${needs}: npm install ${missing.join(' ')}`, { cause: error });
  }
}
