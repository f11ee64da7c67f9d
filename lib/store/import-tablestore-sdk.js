// Hand-written JavaScript, copied into dist/ as it is (scripts/build-lib.ts): the package's compiled
// JavaScript has its comments removed, and these directives must reach the bundlers. A file of its
// own so that the SDK's chunk in a function bundle hangs off the module that needs it, no other.

/**
 * The tablestore SDK, which only store init and listing on tablestore: load. A literal import, so
 * esbuild bundles it where it is installed (the Function Compute artifact carries it) and, since its
 * failure is caught here, only warns where it is not; webpack and Turbopack (next build) leave it
 * to the runtime, so an app without the SDK builds whatever store it uses.
 */
export function importTablestoreSdk() {
  return import(/* webpackIgnore: true */ /* turbopackIgnore: true */ 'tablestore').catch((error) => {
    throw error;
  });
}
