#!/usr/bin/env node
// The `rivulet` command. The CLI is TypeScript compiled by `npm run build` into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/rivulet.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('rivulet: not built yet — run `npm ci && npm run build` in the checkout first.');
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
