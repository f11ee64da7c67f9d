// Hand-written JavaScript, copied into dist/ as it is (scripts/build-lib.ts): the package's compiled
// JavaScript has its comments removed, and these directives must reach the bundlers. Without them
// webpack and Turbopack (next build) turn an import() they cannot resolve at build time into one that
// always fails, and refuse to build an app that has not installed every optional peer.

/**
 * import() of a module resolved by the runtime when it runs, from where this package is installed:
 * an optional peer (a store's driver or SDK, the simulator's parsers) or a runtime's own module
 * (bun:sqlite). No bundler follows it: a bundle carries none of them, and an app that has not
 * installed one builds all the same and fails, by name, only when it chooses what needs it.
 */
export function importAtRunTime(specifier) {
  return import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ specifier);
}
