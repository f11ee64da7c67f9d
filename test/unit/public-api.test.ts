import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every name the package exports, values and types, from every entry point package.json names, is
 * documented in the README (as `name` or `name(…)`), and every entry point is one of lib/'s modules.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** `./dist/lib/entries/node.d.ts` → `lib/entries/node.ts`. */
const sourceOf = (types: string) => join(ROOT, types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'));
const entries = Object.entries(pkg.exports).flatMap(([subpath, target]) => (typeof target === 'string' ? [] : [{ subpath, source: sourceOf(target.types) }]));

const program = ts.createProgram(
  entries.map((entry) => entry.source),
  { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, types: ['node'] },
);
const checker = program.getTypeChecker();

function exportedNames(source: string): string[] {
  const file = program.getSourceFile(source);
  const module = file && checker.getSymbolAtLocation(file);
  return module ? checker.getExportsOfModule(module).map((symbol) => symbol.name) : [];
}

describe('the public API', () => {
  it.each(entries)('documents in the README every export of $subpath', ({ source }) => {
    const names = exportedNames(source);

    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !new RegExp(`\`${name}[\`(]`).test(readme))).toEqual([]);
  });

  it('names each subpath in the README', () => {
    const subpaths = entries.map((entry) => (entry.subpath === '.' ? 'oss-upload-callback' : `oss-upload-callback${entry.subpath.slice(1)}`));

    expect(subpaths.filter((subpath) => !readme.includes(`\`${subpath}\``))).toEqual([]);
  });
});
