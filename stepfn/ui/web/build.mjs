// Builds the UI into ../static (or --outdir DIR): the page's JS bundle and CSS file, the
// layout worker's script and the page. The output depends only on the sources and the locked
// packages (no timestamps, no hashes of paths), so CI can rebuild it and compare.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = process.argv.indexOf('--outdir');
const outdir = arg > 0 ? process.argv[arg + 1] : join(here, '..', 'static');
mkdirSync(outdir, { recursive: true });

const common = {
  absWorkingDir: here,
  bundle: true,
  minify: true,
  target: 'es2022',
  legalComments: 'eof',
  charset: 'utf8',
  outdir,
  logLevel: 'warning',
};
// The page.
await build({ ...common, entryPoints: { app: 'src/main.jsx' }, format: 'esm',
  jsx: 'automatic', jsxImportSource: 'preact' });
// The layout worker (ELK and dagre), a classic worker script of its own.
await build({ ...common, entryPoints: { layout: 'src/graph/layout.worker.js' }, format: 'iife' });
writeFileSync(join(outdir, 'index.html'), readFileSync(join(here, 'src/index.html')));
