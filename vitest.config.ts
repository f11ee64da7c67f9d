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
    // The AWS SDK's notice that its 2027 releases will need Node 22 says nothing about this code;
    // its own switch turns off that one warning (child processes inherit it), no other.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
