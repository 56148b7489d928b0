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
  // PKCS#11 v2.40 §5.4: C_Initialize once per process; the library's own state is the process's, whoever holds it.
  'src/crypto/pkcs11-signer.ts Pkcs11Token.modules': 'the PKCS#11 library is initialised once per process',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    // test-support holds child-process scripts and test helpers, whose top level is a process's main or a test's.
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `name` (a Map or Set) followed by a changing call anywhere in the module. */
function mutated(text: string, name: string): boolean {
  return new RegExp(`\\b${name}\\s*\\.\\s*(set|add|delete|clear)\\s*\\(`).test(text);
}

/** `name` (an array or object literal) pushed to, sorted in place, or written member by member. */
function written(text: string, name: string): boolean {
  return (
    new RegExp(`(?<![.\\w])${name}\\s*\\.\\s*(push|pop|shift|unshift|splice|sort|reverse|fill|copyWithin)\\s*\\(`).test(text) ||
    new RegExp(`(?<![.\\w])${name}\\s*(\\[[^\\]]+\\]|\\.\\w+)\\s*(=(?!=)|\\+=|-=|\\+\\+|--)`).test(text) ||
    new RegExp(`delete\\s+${name}\\b|Object\\.assign\\(\\s*${name}\\b`).test(text)
  );
}

function moduleState(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  for (const statement of source.statements) {
    // A class's static fields live as long as the module: the same rule.
    if (ts.isClassDeclaration(statement) && statement.name) {
      for (const member of statement.members) {
        if (!ts.isPropertyDeclaration(member)) continue;
        const modifiers = ts.getModifiers(member) ?? [];
        if (!modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) continue;
        const name = `${statement.name.text}.${member.name.getText(source)}`;
        const readonly = modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
        const init = member.initializer;
        const made = init && ts.isNewExpression(init) ? init.expression.getText(source) : undefined;
        if (!readonly || (made && (COLLECTIONS.has(made) ? mutated(text, name.replace('.', '\\s*\\.\\s*')) : !STATELESS.has(made)))) found.push(`${name} (static)`);
      }
      continue;
    }
    if (!ts.isVariableStatement(statement)) continue;
    const constant = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
    for (const declaration of statement.declarationList.declarations) {
      const name = declaration.name.getText(source);
      if (!constant) {
        found.push(`${name} (let/var)`);
        continue;
      }
      const init = declaration.initializer;
      if (init && (ts.isArrayLiteralExpression(init) || ts.isObjectLiteralExpression(init)) && written(text, name)) found.push(`${name} (literal written)`);
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
        'const seen: string[] = [];',
        'export function note(x: string) { seen.push(x); }',
        'const TABLE = { a: 1 };',
        'export function look() { return TABLE.a; }',
        'const totals: Record<string, number> = {};',
        'export function count(k: string) { totals[k] = (totals[k] ?? 0) + 1; }',
        'class Token { private static modules = new Map<string, number>(); static readonly NAMES = new Set(["x"]); }',
      ].join('\n'),
    );
    expect(found).toEqual(['decoy (let/var)', 'plugged (new Map)', 'registry (new Registry)', 'seen (literal written)', 'totals (literal written)', 'Token.modules (static)']);
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
