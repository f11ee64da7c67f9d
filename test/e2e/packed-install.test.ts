import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { installPacked, packedPackage, type PackedPackage } from '../support/packed-package.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * What users install is what is tested: the package compiled from these sources, packed by npm with
 * its `files` and `exports` (test/support/packed-package.ts), installed from the tarball into an empty project (the registry, or
 * npm's cache, supplies its dependencies), then used as an app would: an ES module app, a CommonJS
 * `require`, a strict TypeScript typecheck of the public API, and the CLI.
 */
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

const dir = tempDir('packed-install-');
const project = join(dir, 'app');
let packed: PackedPackage;
let installMs: number;

const node = (file: string, args: string[] = []) => run(process.execPath, [file, ...args], { cwd: project, timeout: 30_000 });

beforeAll(async () => {
  packed = await packedPackage();
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  for (const file of readdirSync(join(ROOT, 'test/e2e/packed-app'))) copyFileSync(join(ROOT, 'test/e2e/packed-app', file), join(project, file));
  const started = Date.now();
  await installPacked(project, ['typescript', '@types/node']);
  installMs = Date.now() - started;
}, 300_000);

describe('the packed package, installed into an empty project', () => {
  it('holds what its exports and bin need and nothing else', () => {
    const paths = packed.files;
    const pkg = JSON.parse(readFileSync(join(packed.stage, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }>; bin: Record<string, string> };
    const targets = Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : [target.types, target.default]));

    for (const target of [...targets, ...Object.values(pkg.bin)]) expect(paths).toContain(target.replace(/^\.\//, ''));
    expect(paths.filter((path) => !/^(dist\/(lib|cli|sim)\/|package\.json$|README\.md$)/.test(path))).toEqual([]);
    expect(paths.filter((path) => /\.map$|(^|\/)test\//.test(path))).toEqual([]);
    // 202 KB at 233 files on 2026-12-02 (the README 45 KB of it); a stray bundle or build output would break it.
    expect(packed.size).toBeLessThan(225_000);
    // The documentation an editor shows comes from the declarations; the code itself needs none.
    expect(readFileSync(join(packed.stage, 'dist/lib/store/port.d.ts'), 'utf8')).toContain('The storage port.');
    expect(readFileSync(join(packed.stage, 'dist/lib/store/port.js'), 'utf8')).not.toContain('The storage port.');
    // Declarations only for what an app can import: none for an internal module such as a client's wire format.
    expect(paths).toContain('dist/lib/store/tablestore-plainbuffer.js');
    expect(paths).not.toContain('dist/lib/store/tablestore-plainbuffer.d.ts');
    // Except the directives that keep bundlers off the optional peers, in the one file written by hand.
    expect(readFileSync(join(packed.stage, 'dist/lib/runtime-import.js'), 'utf8')).toContain('import(/* webpackIgnore: true */ /* turbopackIgnore: true */');
    console.log(`tarball ${packed.tarball}: ${packed.size} bytes, ${paths.length} files; installed in ${installMs} ms`);
  });

  it('compiled nothing and pulled no store SDK, simulator library or cloud SDK', () => {
    const installed = readdirSync(join(project, 'node_modules'));

    for (const name of ['better-sqlite3', 'tablestore', '@aws-sdk', '@smithy', 'busboy', 'fast-xml-parser', 'image-size', 'bindings', 'prebuild-install']) {
      expect(installed, name).not.toContain(name);
    }
    expect(existsSync(join(project, 'node_modules/oss-upload-callback/build'))).toBe(false);
    const own = JSON.parse(readFileSync(join(project, 'node_modules/oss-upload-callback/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(own.dependencies).sort()).toEqual(['jose', 'lossless-json']);
  });

  it('runs an ES module app: a callback recorded through the node and fetch doors, verify-only use, a missing store SDK named', async () => {
    const { stdout } = await node('esm-app.mjs');
    const result = JSON.parse(stdout) as Record<string, unknown>;

    expect(result).toEqual({
      node: { status: 200, object: 'users/42/cat.jpg', url: 'https://cdn.example.com/users/42/cat.jpg' },
      fetch: { status: 200 },
      tampered: { status: 401, code: 'SignatureMismatch' },
      verified: { bucket: 'photos', keyUrl: 'https://keys.example.invalid/app.pem' },
      refused: { name: 'CallbackError', code: 'SignatureMismatch', status: 401 },
      // Node 20 has no node:sqlite: the default store needs the native package there, and says so, from the store's own entry point too.
      sqlite: 'the sqlite: store needs the package better-sqlite3: npm install better-sqlite3',
      sqliteEntry: 'ConfigError: the sqlite: store needs the package better-sqlite3: npm install better-sqlite3',
      tablestoreInit: 'creating or listing a tablestore: table needs the package tablestore: npm install tablestore',
      records: 1,
    });
  });

  it('bundles with esbuild, which follows every static import, with no store package installed: the bundle runs the app', async () => {
    const outfile = join(project, 'bundle/app.mjs');
    const result = await build({ entryPoints: [join(project, 'esm-app.mjs')], bundle: true, platform: 'node', format: 'esm', outfile, absWorkingDir: project, logLevel: 'silent' });
    const bundled = JSON.parse((await node(outfile)).stdout) as Record<string, unknown>;
    const plain = JSON.parse((await node('esm-app.mjs')).stdout) as Record<string, unknown>;

    // Not even a warning for the one peer esbuild would bundle where it is installed (the tablestore SDK).
    expect([...result.errors, ...result.warnings]).toEqual([]);
    expect(bundled).toEqual(plain);
  });

  it('loads every entry point with require() from CommonJS', async () => {
    const { stdout, stderr } = await node('require-app.cjs');

    expect(JSON.parse(stdout)).toEqual({
      root: ['CallbackError', 'ConfigError', 'ERROR_STATUS', 'TransientStoreError', 'createReceiver', 'jsonLogger', 'verifyCallback'],
      node: ['nodeCallbackRequest', 'nodeHandler'],
      koa: ['koaHandler'],
      fetch: ['fetchCallbackRequest', 'fetchHandler'],
      lambda: ['lambdaHandler'],
      fc3: ['fc3Handler'],
      fc2: ['fc2Handler'],
      memory: ['openMemoryStore'],
      dynamodb: ['openDynamoDbStore'],
      // No store package is installed: loading a store's entry point needs none.
      sqlite: ['openSqliteStore'],
      tablestore: ['openTablestoreStore'],
      receiver: 'object',
    });
    expect(stderr).toBe('');
  });

  it('typechecks an app against the declarations with strict settings and no skipLibCheck', async () => {
    const tsc = join(project, 'node_modules/typescript/bin/tsc');

    await expect(run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project })).resolves.toMatchObject({ stdout: '' });
    // And a CommonJS project on the old resolution, which reads no "exports": typesVersions points it at the subpaths.
    await expect(run(process.execPath, [tsc, '-p', 'tsconfig.commonjs.json'], { cwd: project })).resolves.toMatchObject({ stdout: '' });
  }, 90_000);

  it('runs the oss-callback CLI, whose sim command names every package it needs that is missing', async () => {
    const bin = join(project, 'node_modules/.bin/oss-callback');
    const template = await run(bin, ['template'], { cwd: project });
    const sim = await run(bin, ['sim', '--port', '0'], { cwd: project }).catch((error: { code: number; stderr: string }) => error);

    expect(template.stdout).toMatch(/^bucket=\$\{bucket\}&object=\$\{object\}/);
    expect(sim).toMatchObject({
      code: 1,
      stderr:
        'oss-callback sim: the simulator needs the packages busboy, fast-xml-parser, image-size (not installed: busboy, fast-xml-parser, image-size): ' +
        'npm install busboy fast-xml-parser image-size\n',
    });
  });
});
