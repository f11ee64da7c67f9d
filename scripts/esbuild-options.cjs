// One set of esbuild options for every deployed function, shared by `npm run build` (scripts/
// functions-bundle.ts, the bundle s.yaml deploys) and serverless-esbuild (serverless.yml), so
// Function Compute and Lambda run the same bytes.
//
// ESM. Each platform's entry names only the stores that platform can use (functions/callback-lambda.ts:
// DynamoDB, functions/callback-fc.ts: Tablestore, both memory:), each a dynamic import. A bundle that
// carries a store SDK (Function Compute's, with tablestore) is split, so the SDK lands in a chunk of
// its own and loads only when UPLOAD_STORE names it. The others (every Lambda function: DynamoDB is
// our own client; the ticket function, with no store) are one file: a cold start then reads, resolves
// and links one module instead of a dozen chunks (about 4% of a cold Lambda callback's instructions,
// counted under valgrind; more of its time, each chunk being a file read).
// SQLite is in no entry: its native addon cannot run from a bundle (test/unit/functions/bundles.test.ts
// checks what each bundle is made of). The artifact is self-contained (no node_modules), with every
// chunk beside the entry. Files end in .js, with functions/package.json ("type": "module") beside
// them: the way both platforms document ES module handlers, and the one `osls invoke local` can load.
const functionBuildOptions = {
  bundle: true,
  platform: 'node',
  // FC's newest Node runtime is nodejs20; Lambda runs nodejs22.x. One target serves both.
  target: 'node20',
  format: 'esm',
  splitting: true,
  minify: true,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (the SDKs) call require() for Node built-ins; an ESM bundle has none.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};

/** The functions whose bundles carry a store SDK, and so are split. */
const SPLIT = new Set(['callback-fc', 'reconcile-fc']);

/** The options for one function's bundle (its name in functions/, e.g. `callback-lambda`). */
function functionBuildOptionsFor(name) {
  return { ...functionBuildOptions, splitting: SPLIT.has(name) };
}

/**
 * serverless-esbuild reads `custom.esbuild.config` as a function of the serverless instance; it
 * builds serverless.yml's functions, all Lambda ones, so none is split. Without `skipRebuild` it
 * builds through an esbuild context it disposes only after a success, so a failed build left
 * `osls package` and `osls invoke local` waiting forever instead of exiting.
 */
function serverlessEsbuildOptions() {
  return { ...functionBuildOptions, splitting: false, outputFileExtension: '.js', skipRebuild: true };
}

module.exports = serverlessEsbuildOptions;
module.exports.functionBuildOptions = functionBuildOptions;
module.exports.functionBuildOptionsFor = functionBuildOptionsFor;
