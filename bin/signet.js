#!/usr/bin/env node
// The installed entry point: the compiled CLI (npm ci builds it through `prepare`).
// Plain JavaScript any Node can parse, so that an older node reaching this file (the system's,
// through the shebang) says what is wrong instead of failing somewhere inside dist/.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const english = (process.env.SIGNET_LANG ?? process.env.LC_ALL ?? process.env.LANG ?? '').toLowerCase().startsWith('en');

// The minimum is package.json's `engines.node` (">=X.Y.Z"): one place says which runtime Signet needs.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const minimum = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node);
const [major, minor] = process.versions.node.split('.').map(Number);
if (minimum && (major < Number(minimum[1]) || (major === Number(minimum[1]) && minor < Number(minimum[2])))) {
  const bundled = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
  const needed = `${minimum[1]}.${minimum[2]}.${minimum[3]}`;
  console.error(
    english
      ? `signet: needs Node.js ${needed} or newer; this is ${process.version} (${process.execPath}).\n` +
          `  The project brings its own Node.js 24 (npm ci installs it): run Signet through npm\n` +
          `  (npm start, npm run signet -- <command>) or with ${bundled} bin/signet.js.`
      : `signet：需要 Node.js ${needed} 或更新版本；当前是 ${process.version}（${process.execPath}）。\n` +
          `  项目自带 Node.js 24（npm ci 会安装）：请通过 npm 运行 Signet\n` +
          `  （npm start、npm run signet -- <命令>），或使用 ${bundled} bin/signet.js。`,
  );
  process.exit(1);
}

const compiled = new URL('../dist/cli/entry.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  console.error(
    english
      ? 'signet: dist/ is missing; run `npm run build` (npm ci does it for you)'
      : 'signet：缺少 dist/；请运行 `npm run build`（npm ci 会自动完成）',
  );
  process.exit(1);
}
await import(compiled.href);
