import { ConfigError } from './config.js';

/**
 * Load a module that needs packages this one does not install for its users (optional peers: a
 * store's SDK, the simulator's parsers). When one is missing, the error names what to install
 * instead of Node's "Cannot find package" from deep inside this package.
 */
export async function withPeers<T>(packages: readonly [string, ...string[]], feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // Only the peers themselves: a module missing inside one is a broken install, reported as it is.
    const missing = code === 'ERR_MODULE_NOT_FOUND' ? packages.find((name) => message.includes(`'${name}'`)) : undefined;
    if (missing === undefined) throw error;
    const needs = packages.length === 1 ? `the package ${missing}` : `the packages ${packages.join(', ')} (${missing} is not installed)`;
    throw new ConfigError(`${feature} needs ${needs}: npm install ${packages.join(' ')}`, { cause: error });
  }
}
