import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

/**
 * The package as users install it: compiled from these sources as `npm run build` compiles it and
 * packed by npm with its `files` and `exports`. Several test files install it (into an empty project,
 * a Next.js app, Bun and Deno apps); packing takes two compiler passes, so it is packed once per state
 * of the sources and kept under node_modules/.cache, a lock making the other test files wait for it.
 */
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const CACHE = join(ROOT, 'node_modules/.cache/oss-upload-callback-packed');
/** What the build reads: every folder tsconfig.build.json compiles, and the files npm packs beside them. */
const INPUTS = ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'functions', 'cli', 'sim', 'bench', 'scripts'];

export interface PackedPackage {
  /** The .tgz to `npm install`. */
  tarball: string;
  /** Its size in bytes. */
  size: number;
  /** The paths it holds (`dist/lib/index.js`, `package.json`, …). */
  files: string[];
  /** The folder it was packed from: package.json, README.md and dist/ as built. */
  stage: string;
}

const filesUnder = (path: string): string[] =>
  statSync(join(ROOT, path)).isDirectory()
    ? readdirSync(join(ROOT, path), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    : [path];

function sourcesHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(filesUnder).sort()) hash.update(`${file}\0`).update(readFileSync(join(ROOT, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Whether the test file holding `lock` has died without releasing it. */
function abandoned(lock: string): boolean {
  try {
    const holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    process.kill(holder, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function pack(dir: string): Promise<PackedPackage> {
  const stage = join(dir, 'stage');
  mkdirSync(stage, { recursive: true });
  for (const file of ['package.json', 'README.md']) copyFileSync(join(ROOT, file), join(stage, file));
  await run(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), '-e', `import('./scripts/build-lib.ts').then((m) => m.buildLibrary(${JSON.stringify(join(stage, 'dist'))}))`], { cwd: ROOT, timeout: 300_000 });
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: stage });
  const { filename, size, files } = (JSON.parse(packed.stdout) as { filename: string; size: number; files: { path: string }[] }[])[0]!;
  return { tarball: join(dir, filename), size, files: files.map((file) => file.path), stage };
}

let mine: Promise<PackedPackage> | undefined;

/** The packed package for the sources as they are now, packed by whichever test file asks first. */
export function packedPackage(): Promise<PackedPackage> {
  mine ??= packedOnce();
  return mine;
}

async function packedOnce(): Promise<PackedPackage> {
  const dir = join(CACHE, sourcesHash());
  const done = join(dir, 'packed.json');
  const lock = `${dir}.lock`;
  mkdirSync(CACHE, { recursive: true });
  for (let attempt = 0; attempt < 600; attempt++) {
    if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as PackedPackage;
    try {
      mkdirSync(lock);
    } catch {
      // Another test file is packing: wait for it, unless it died holding the lock.
      if (abandoned(lock)) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      // Older states of the sources are of no more use.
      for (const old of readdirSync(CACHE)) if (!old.endsWith('.lock')) rmSync(join(CACHE, old), { recursive: true, force: true });
      const packed = await pack(dir);
      writeFileSync(done, JSON.stringify(packed));
      return packed;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  throw new Error(`the package was not packed within 5 minutes (lock ${lock})`);
}

const ROOT_VERSION = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * `npm install` the packed package into the app at `dir` (a package.json there), as a user installs
 * it, with `extra` packages (`name`, at the version this checkout has); its own dependencies at the
 * versions this checkout's lockfile has, so every run installs the same.
 */
export async function installPacked(dir: string, extra: string[] = []): Promise<PackedPackage> {
  const packed = await packedPackage();
  const pinned = ['jose', 'lossless-json', ...extra].map((name) => `${name}@${ROOT_VERSION(name)}`);
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', packed.tarball, ...pinned], { cwd: dir, timeout: 240_000 });
  return packed;
}
