/**
 * Import a package this project does not install for its users (a peer they add when they need the
 * feature). Missing, it is one line naming the package to install, instead of Node's stack trace.
 */
export async function importOptional<T>(name: string, feature: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // Only the package itself: a dependency missing inside it is a broken install, reported as it is.
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${name}'`)) throw new Error(`${feature} needs the package ${name}: npm install ${name}`);
    throw error;
  }
}
