#!/usr/bin/env node
// Builds the broker's container image without a registry: stages build/container/ (the npm package with
// its production dependencies, and a root filesystem made of this machine's Node binary plus the shared
// libraries it and the native addons load), then runs `podman build` (or docker) with container/Containerfile.
//
//   node container/build.mjs [--tag <image>] [--engine podman|docker]
//
// Needs `npm run build` first (the package ships dist/). Works offline: the dependencies are copied from
// this checkout's node_modules, as package-lock.json lists them for production.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stage = join(root, 'build', 'container');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const RIVULET_UID = 10001;

function parseArgs(argv) {
  const opts = { tag: `localhost/rivulet:${pkg.version}`, engine: process.env.CONTAINER_ENGINE ?? 'podman' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tag' || a === '--engine') opts[a.slice(2)] = argv[++i];
    else if (a === '-h' || a === '--help') {
      console.log('Usage: node container/build.mjs [--tag <image>] [--engine podman|docker]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });

/** The npm package exactly as `npm pack` makes it, unpacked into app/. */
function stagePackage(app) {
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', stage]));
  mkdirSync(app, { recursive: true });
  run('tar', ['-xzf', join(stage, packed.filename), '-C', app, '--strip-components=1']);
  rmSync(join(stage, packed.filename));
}

/** The production dependencies package-lock.json lists (dev ones left out), as installed here. */
function stageDependencies(app) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev || entry.devOptional) continue;
    const from = join(root, path);
    if (!existsSync(from)) {
      if (entry.optional) continue; // another platform's build of a native addon
      throw new Error(`${path} is a production dependency but is not installed: run npm ci`);
    }
    cpSync(realpathSync(from), join(app, path), { recursive: true, dereference: true });
  }
}

/** Every shared library `ldd` says these binaries load, with the dynamic loader. Binaries built for
 *  other platforms (prebuilds of native addons for macOS, Windows, other CPUs) are not loadable here. */
function sharedLibraries(binaries) {
  const libs = new Set();
  for (const bin of binaries) {
    let out;
    try {
      out = run('ldd', [bin], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      continue;
    }
    for (const line of out.split('\n')) {
      const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
      if (m) libs.add(m[1]);
    }
  }
  return [...libs];
}

function nativeAddons(dir, found = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) nativeAddons(p, found);
    else if (name.endsWith('.node')) found.push(p);
  }
  return found;
}

/** A root filesystem for FROM scratch: node, its libraries, the rivulet user, /tmp. */
function stageRuntime(runtime, app) {
  const node = realpathSync(process.execPath);
  const copy = (from, to) => {
    mkdirSync(dirname(join(runtime, to)), { recursive: true });
    cpSync(realpathSync(from), join(runtime, to), { dereference: true });
  };
  copy(node, '/usr/local/bin/node');
  for (const lib of sharedLibraries([node, ...nativeAddons(join(app, 'node_modules'))])) copy(lib, lib);
  mkdirSync(join(runtime, 'etc'), { recursive: true });
  writeFileSync(join(runtime, 'etc/passwd'), `root:x:0:0:root:/root:/sbin/nologin\nrivulet:x:${RIVULET_UID}:${RIVULET_UID}:rivulet:/var/lib/rivulet:/sbin/nologin\n`);
  writeFileSync(join(runtime, 'etc/group'), `root:x:0:\nrivulet:x:${RIVULET_UID}:\n`);
  mkdirSync(join(runtime, 'tmp'));
  chmodSync(join(runtime, 'tmp'), 0o1777);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  for (const f of pkg.files.filter((f) => f.startsWith('dist/') && !f.endsWith('/'))) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run npm run build first`);
  }
  const started = Date.now();
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'data'), { recursive: true });
  const app = join(stage, 'app');
  stagePackage(app);
  stageDependencies(app);
  stageRuntime(join(stage, 'runtime'), app);
  console.log(`staged ${stage} in ${((Date.now() - started) / 1000).toFixed(1)} s; building ${opts.tag} with ${opts.engine}`);
  execFileSync(opts.engine, ['build', '--file', join(root, 'container', 'Containerfile'), '--tag', opts.tag, stage], { stdio: 'inherit' });
  console.log(`built ${opts.tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  main();
} catch (err) {
  console.error(`container build failed: ${err.message}`);
  process.exit(1);
}
