import type { BuildOptions } from 'esbuild';

declare function serverlessEsbuildOptions(): BuildOptions & { outputFileExtension: string; skipRebuild: boolean };
declare namespace serverlessEsbuildOptions {
  const functionBuildOptions: BuildOptions;
  function functionBuildOptionsFor(name: string): BuildOptions;
}
export = serverlessEsbuildOptions;
