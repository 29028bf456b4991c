// Bundles the extension into dist/extension.js (one file, vscode external),
// or with --tests each test file into out/ with `vscode` resolved to the
// hand-written stand-in in test/stub.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');

const extension = {
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/extension.js',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  external: ['vscode'],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
};

const testFiles = (dir) => readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => `${dir}/${f}`);

const tests = {
  entryPoints: [...testFiles('test/unit'), ...testFiles('test/integration'), ...testFiles('test/package')],
  outdir: 'out/test',
  outbase: 'test',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  alias: { vscode: './test/stub/vscode.ts' },
  external: ['esbuild'],
  sourcemap: 'inline',
  logLevel: 'warning',
};

const options = args.has('--tests') ? tests : extension;
if (args.has('--watch')) {
  await (await esbuild.context(options)).watch();
} else {
  await esbuild.build(options);
}
