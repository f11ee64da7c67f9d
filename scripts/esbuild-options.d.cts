import type { BuildOptions } from 'esbuild';

declare function serverlessEsbuildOptions(): BuildOptions & { outputFileExtension: string; skipRebuild: boolean };
declare namespace serverlessEsbuildOptions {
  const functionBuildOptions: BuildOptions;
}
export = serverlessEsbuildOptions;
