// Builds the UI into ../static (or --outdir DIR): one JS bundle, one CSS file and the
// page. The output depends only on the sources and the locked
// packages (no timestamps, no hashes of paths), so CI can rebuild it and compare.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = process.argv.indexOf('--outdir');
const outdir = arg > 0 ? process.argv[arg + 1] : join(here, '..', 'static');
mkdirSync(outdir, { recursive: true });

await build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.jsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'eof',
  charset: 'utf8',
  outdir,
  logLevel: 'warning',
});
writeFileSync(join(outdir, 'index.html'), readFileSync(join(here, 'src/index.html')));
