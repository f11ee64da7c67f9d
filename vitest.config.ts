import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const lib = (path: string) => fileURLToPath(new URL(`./lib/${path}`, import.meta.url));

export default defineConfig({
  // The examples import the package by name, as an app does; tests that use them get the sources
  // (tsconfig.json maps the name the same way).
  resolve: {
    alias: [
      { find: /^oss-upload-callback$/, replacement: lib('index.ts') },
      { find: /^oss-upload-callback\/(.+)$/, replacement: lib('entries/$1.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
