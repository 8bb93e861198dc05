/**
 * Where code lives (tools/README.md): `lib/` is what the Lambda functions bundle, `tools/` is
 * build-time and operator code, `scripts/` are command-line entry points that nothing imports.
 * Imports are read with TypeScript's own pre-parser (static, dynamic and `export … from`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { GENERATED_MODULES } from '../../tools/build/generated-modules.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const FOLDERS = ['functions', 'lib', 'tools', 'scripts', 'bench', 'tests', 'serverless'];

/** Paths from the project root, `/`-separated. */
const filesUnder = (folder: string): string[] =>
  readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .filter((path) => !path.includes('node_modules/') && !path.startsWith('bench/.build/'));

const codeFiles = [...FOLDERS.flatMap(filesUnder), ...readdirSync(ROOT).filter((name) => CODE.test(name))].filter(
  (path) => CODE.test(path) && !path.endsWith('.d.ts'),
);

/** The project files `file` imports (relative specifiers only), as the files they resolve to. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => {
      const path = relative(ROOT, resolve(ROOT, dirname(file), specifier))
        .split('\\')
        .join('/');
      // Our ESM imports name `.ts` files by their `.js` output.
      const ts = path.replace(/\.js$/, '.ts');
      return path.endsWith('.js') && existsSync(join(ROOT, ts)) ? ts : path;
    });
}

const folderOf = (path: string) => path.split('/')[0]!;

describe('where code lives', () => {
  it('finds the code it checks', () => {
    expect(codeFiles).toContain('lib/config.ts');
    expect(codeFiles).toContain('tools/build/generated-modules.ts');
    expect(importsOf('functions/health.ts').some((path) => path.startsWith('lib/'))).toBe(true);
  });

  it('lib/ and functions/ import nothing from tools/, scripts/, bench/ or tests/', () => {
    const offending = codeFiles
      .filter((file) => ['lib', 'functions'].includes(folderOf(file)))
      .flatMap((file) =>
        importsOf(file)
          .filter((path) => ['tools', 'scripts', 'bench', 'tests'].includes(folderOf(path)))
          .map((path) => `${file} → ${path}`),
      );
    expect(offending).toEqual([]);
  });

  it('nothing imports scripts/: they are entry points, shared code is in lib/ or tools/', () => {
    const offending = codeFiles.flatMap((file) =>
      importsOf(file)
        .filter((path) => folderOf(path) === 'scripts')
        .map((path) => `${file} → ${path}`),
    );
    expect(offending).toEqual([]);
  });

  it('every module in lib/ is bundled into at least one function', () => {
    const bundled = new Set<string>();
    const visit = (file: string) => {
      if (bundled.has(file) || !existsSync(join(ROOT, file))) return;
      bundled.add(file);
      if (CODE.test(file)) importsOf(file).forEach(visit);
    };
    codeFiles.filter((file) => folderOf(file) === 'functions').forEach(visit);

    const unbundled = codeFiles.filter((file) => folderOf(file) === 'lib' && !bundled.has(file));
    // The one file in lib/ that is data, not a module: tools/build/sources.ts embeds it.
    expect(unbundled.filter((file) => file !== 'lib/docs/swagger-initializer.js')).toEqual([]);
  });

  it('each *.generated.d.ts in lib/ has one generated module, and each generated module its types', () => {
    const declared = filesUnder('lib')
      .filter((path) => path.endsWith('.generated.d.ts'))
      .map((path) => path.replace(/\.d\.ts$/, '.js'));
    expect(Object.keys(GENERATED_MODULES).sort()).toEqual(declared.sort());
  });
});
