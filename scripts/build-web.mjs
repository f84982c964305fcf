#!/usr/bin/env node
// Builds the web assets: web/ → OUT/. The widget becomes one minified script at the stable URL /widget.js;
// every HTML page under web/ is an entry point whose scripts, style sheets and images are bundled and
// minified by esbuild and renamed after their content hash under /assets/; each text file gets a gzip copy
// when that is smaller; OUT/manifest.tsv lists it all for scripts/embed.c. docs/web.md describes it.
// usage: node scripts/build-web.mjs [--src web] [--out build/web] [--doc URLPATH=FILE]...
//   --doc  a document served at a fixed URL as it is, with a gzip copy (the OpenAPI document)
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants as zc } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : dflt;
};
const SRC = opt('--src', join(root, 'web'));
const OUT = opt('--out', join(root, 'build', 'web'));

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('build-web: esbuild is missing; run scripts/install-deps.sh (it runs npm ci)');
  process.exit(1);
}

// Browsers the pages and the widget support: the last few years of evergreen browsers.
const TARGET = ['chrome100', 'firefox100', 'safari15', 'edge100'];
// Files a page may reference that are copied as they are (with a hashed name) rather than bundled.
const FILE_LOADERS = { '.png': 'file', '.jpg': 'file', '.webp': 'file', '.svg': 'file', '.woff2': 'file', '.ico': 'file' };
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.ico', '.map', '.webmanifest']);

const posix = (p) => p.split(sep).join('/');
const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

// A style sheet's text, minified, for the widget (which carries its CSS inside its script).
const cssAsText = {
  name: 'css-as-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (a) => {
      const r = await esbuild.build({ entryPoints: [a.path], bundle: true, minify: true, write: false, target: TARGET, logLevel: 'silent' });
      return { contents: r.outputFiles[0].text.trim(), loader: 'text', watchFiles: [a.path] };
    });
  },
};

async function buildWidget() {
  const entry = join(SRC, 'widget', 'widget.js');
  if (!existsSync(entry)) return [];
  await esbuild.build({
    entryPoints: [entry],
    outfile: join(OUT, 'widget.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: TARGET,
    legalComments: 'none',
    charset: 'utf8',
    plugins: [cssAsText],
    logLevel: 'warning',
  });
  return [{ url: '/widget.js', kind: 'stable', file: join(OUT, 'widget.js') }];
}

// References in a page that the build takes over: relative src/href of scripts, style sheets, icons and
// images. Absolute URLs and root paths ("/widget.js") are left as they are.
const REF = /<(script|link|img)\b[^>]*?\s(src|href)="([^"]+)"[^>]*>/gi;
const local = (u) => !/^([a-z][a-z0-9+.-]*:|\/|#)/i.test(u);

function pageRefs(html) {
  const refs = [];
  for (const m of html.matchAll(REF)) if (local(m[3])) refs.push(m[3]);
  return refs;
}

function hashName(file) {
  const h = createHash('sha256').update(readFileSync(file)).digest('base64url').slice(0, 10).toUpperCase().replace(/[-_]/g, 'X');
  const rel = posix(relative(SRC, file));
  const ext = extname(rel);
  return `assets/${rel.slice(0, -ext.length)}-${h}${ext}`;
}

async function buildPages() {
  const pages = walk(SRC).filter((f) => f.endsWith('.html') && !posix(relative(SRC, f)).startsWith('widget/'));
  const entries = new Set(), files = new Set();
  const parsed = pages.map((page) => {
    const html = readFileSync(page, 'utf8');
    const refs = pageRefs(html).map((u) => {
      const file = resolve(dirname(page), u.split(/[?#]/)[0]);
      if (!file.startsWith(SRC + sep) || !existsSync(file)) throw new Error(`${relative(root, page)}: "${u}" is not a file under web/`);
      const ext = extname(file);
      if (ext === '.js' || ext === '.mjs' || ext === '.css') entries.add(file);
      else files.add(file);
      return { u, file };
    });
    return { page, html, refs };
  });

  const urlOf = new Map();
  const out = [];
  if (entries.size) {
    const r = await esbuild.build({
      entryPoints: [...entries],
      outdir: join(OUT, 'assets'),
      outbase: SRC,
      entryNames: '[dir]/[name]-[hash]',
      chunkNames: 'chunks/[name]-[hash]',
      assetNames: '[dir]/[name]-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      minify: true,
      target: TARGET,
      legalComments: 'none',
      charset: 'utf8',
      loader: FILE_LOADERS,
      metafile: true,
      absWorkingDir: root,
      logLevel: 'warning',
    });
    for (const [outFile, info] of Object.entries(r.metafile.outputs)) {
      const abs = resolve(root, outFile);
      const url = '/' + posix(relative(OUT, abs));
      if (info.entryPoint) urlOf.set(resolve(root, info.entryPoint), url);
      out.push({ url, kind: 'immutable', file: abs });
    }
  }
  for (const f of files) {
    const name = hashName(f);
    mkdirSync(dirname(join(OUT, name)), { recursive: true });
    copyFileSync(f, join(OUT, name));
    urlOf.set(f, '/' + name);
    out.push({ url: '/' + name, kind: 'immutable', file: join(OUT, name) });
  }
  for (const { page, html, refs } of parsed) {
    let text = html;
    for (const { u, file } of refs) text = text.split(`"${u}"`).join(`"${urlOf.get(file)}"`);
    const rel = posix(relative(SRC, page));
    mkdirSync(dirname(join(OUT, rel)), { recursive: true });
    writeFileSync(join(OUT, rel), text);
    out.push({ url: '/' + rel, kind: 'page', file: join(OUT, rel) });
  }
  return out;
}

function gzipCopies(list) {
  for (const a of list) {
    a.gz = '-';
    if (!COMPRESSIBLE.has(extname(a.file))) continue;
    const data = readFileSync(a.file);
    const gz = gzipSync(data, { level: zc.Z_BEST_COMPRESSION });
    if (gz.length < data.length * 0.9) {
      writeFileSync(a.file + '.gz', gz);
      a.gz = a.file + '.gz';
    }
  }
}

function docs() {
  return args.flatMap((a, i) => (args[i - 1] === '--doc' ? [a] : [])).map((d) => {
    const [url, file] = d.split('=');
    const copy = join(OUT, 'docs', url.replace(/^\/+/, ''));
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(resolve(file), copy);
    return { url, kind: 'doc', file: copy };
  });
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const assets = [...docs(), ...(await buildWidget()), ...(await buildPages())].sort((a, b) => a.url.localeCompare(b.url));
for (const a of assets)
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(a.url)) throw new Error(`build-web: unsupported characters in ${a.url}`);
gzipCopies(assets);
writeFileSync(join(OUT, 'manifest.tsv'), assets.map((a) => [a.url, a.kind, a.file, a.gz].join('\t')).join('\n') + '\n');
const total = assets.reduce((n, a) => n + statSync(a.file).size, 0);
console.log(`build-web: ${assets.length} assets, ${(total / 1024).toFixed(1)} KiB (${basename(OUT)}/manifest.tsv)`);
