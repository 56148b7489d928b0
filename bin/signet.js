#!/usr/bin/env node
// The installed entry point: the compiled CLI (npm ci builds it through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/entry.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  console.error('signet: dist/ is missing; run `npm run build` (npm ci does it for you)');
  process.exit(1);
}
await import(compiled.href);
