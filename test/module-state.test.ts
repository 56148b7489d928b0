// The brief: no module-level mutable state; the composition root (src/signet.ts, and `signet serve` for the
// process's own figures) owns it. A module that keeps something between calls is shared by every Signet
// opened in the process (tests open dozens), so one deployment's state leaks into another's.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** Collections whose top-level instance is state only if the module changes it. */
const COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);
/** Top-level objects that hold nothing between calls. */
const STATELESS = new Set(['Intl.DateTimeFormat', 'Intl.NumberFormat', 'Intl.Collator', 'TextEncoder', 'TextDecoder', 'RegExp']);
/**
 * Known and owned by someone else this session; each entry says why it is left. An entry that no longer
 * matches fails the test, so the list only shrinks.
 */
const LEFT: Record<string, string> = {
  // A memo of the five unsigned error answers' bytes; src/status belongs to the OCSP and CRL work (docs: mend note).
  'src/status/ocsp-responder.ts errorResponses': 'memo of constant bytes',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    // test-support holds child-process scripts and test helpers, whose top level is a process's main or a test's.
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `name` followed by a changing call anywhere in the module. */
function mutated(text: string, name: string): boolean {
  return new RegExp(`\\b${name}\\s*\\.\\s*(set|add|delete|clear)\\s*\\(`).test(text);
}

function moduleState(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const constant = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
    for (const declaration of statement.declarationList.declarations) {
      const name = declaration.name.getText(source);
      if (!constant) {
        found.push(`${name} (let/var)`);
        continue;
      }
      const init = declaration.initializer;
      if (!init || !ts.isNewExpression(init)) continue;
      const made = init.expression.getText(source);
      if (COLLECTIONS.has(made) ? mutated(text, name) : !STATELESS.has(made)) found.push(`${name} (new ${made})`);
    }
  }
  return found;
}

describe('module-level state (the composition root owns it)', () => {
  it('finds it: a top-level let, a changed top-level Map, a top-level registry object', () => {
    const found = moduleState(
      'x.ts',
      [
        'let decoy: string | undefined;',
        'const plugged = new Map<string, number>();',
        'export function register(k: string) { plugged.set(k, 1); }',
        'const WEAK = new Set(["a"]);',
        'export const registry = new Registry();',
        'const format = new Intl.DateTimeFormat("sv-SE");',
        'function f() { let inside = 1; return inside; }',
      ].join('\n'),
    );
    expect(found).toEqual(['decoy (let/var)', 'plugged (new Map)', 'registry (new Registry)']);
  });

  it('finds none in src/ outside tests and test-support, but for the ones listed as left', () => {
    const found = sourceFiles(join(root, 'src')).flatMap((path) => {
      const file = relative(root, path);
      return moduleState(file, readFileSync(path, 'utf8')).map((what) => `${file} ${what.split(' ')[0]}`);
    });
    expect(found.filter((entry) => !(entry in LEFT))).toEqual([]);
    expect(Object.keys(LEFT).filter((entry) => !found.includes(entry))).toEqual([]);
  });
});
