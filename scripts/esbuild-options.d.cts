import type { BuildOptions } from 'esbuild';

declare function serverlessEsbuildOptions(): BuildOptions & { outputFileExtension: string };
declare namespace serverlessEsbuildOptions {
  const functionBuildOptions: BuildOptions;
}
export = serverlessEsbuildOptions;
