// The layers of ferry, as rules on imports: read from the syntax tree of every .ts file of the
// repository (not node_modules/, dist/), so that a forbidden import fails here rather than in
// review. Workflows (bundled for Temporal's sandbox) take only types from activities; catalog/ is
// the only door to SQL and bucket/ the only door to S3; core/ is pure; sim/ stays out of
// production code; the client does not reach into the API. See README "Layout" and issue 24.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', '.tools', '.data', '.git', 'coverage']);

interface Import {
  /** the importing file, relative to the repository, with / */
  file: string;
  line: number;
  /** as written: './x.js', 'node:fs', '@aws-sdk/client-s3' */
  spec: string;
  /** a repository file's path (relative, with /, .js as written) or null for a package */
  target: string | null;
  /** `import type`, `export type`, all specifiers `type X`, or `import('x').T` in a type */
  typeOnly: boolean;
}

/** Every import of one source text: static, re-exports, dynamic import(), import = require(), import types. */
function importsOf(file: string, text: string): Import[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (node: ts.Node, spec: string, typeOnly: boolean) => {
    const target = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), spec)) : null;
    out.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, spec, target, typeOnly });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(n, n.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const named = n.exportClause && ts.isNamedExports(n.exportClause) ? n.exportClause.elements : undefined;
      add(n, n.moduleSpecifier.text, n.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteralLike(n.arguments[0])) {
      add(n, n.arguments[0].text, false);
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) && ts.isStringLiteral(n.moduleReference.expression)) {
      add(n, n.moduleReference.expression.text, n.isTypeOnly);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      add(n, n.argument.literal.text, true);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    if (SKIP.has(f)) return [];
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The top-level folder a repository path is in ('workflows', 'core', ...). */
const layerOf = (path: string) => path.split('/')[0];
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const isNodeModule = (spec: string) => spec.startsWith('node:') || isBuiltin(spec);

/** Tools that stand beside ferry: they may start, inspect and damage what ferry uses (the S3 server, a database, simulated hosts). */
const TOOLING = new Set(['test', 'bench', 'scripts']);

/**
 * client/ files that still import from api/. To be removed: issue 24 item 1 (wire types): the SDK
 * should take its shapes from shared schemas in core/ (z.infer), not from route files. The token
 * format (newToken, sha256 of the token) goes with them; it uses node:crypto, so not into core/.
 */
const CLIENT_API_EXCEPTIONS = [
  'client/ferry-client.ts -> api/linstor-shapes.js',
  'client/ferry-client.ts -> api/resource-group-routes.js',
  'client/cli/tokens.ts -> api/auth.js',
];

type Rule = { name: string; broken: (i: Import) => boolean };

const RULES: Rule[] = [
  {
    name: 'workflows/ take only types from outside workflows/ and core/ (activities run in the worker, not the sandbox)',
    broken: (i) => layerOf(i.file) === 'workflows' && i.target !== null && !['workflows', 'core'].includes(layerOf(i.target)) && !i.typeOnly,
  },
  {
    name: 'workflows/ import no Node modules (the bundle runs in a V8 isolate)',
    broken: (i) => layerOf(i.file) === 'workflows' && isNodeModule(i.spec),
  },
  {
    name: 'activities/ import nothing from workflows/ (contract types live in core/)',
    broken: (i) => layerOf(i.file) === 'activities' && i.target !== null && layerOf(i.target) === 'workflows',
  },
  {
    name: 'only sim/, test/, bench/ and scripts/ import sim/',
    broken: (i) => i.target !== null && layerOf(i.target) === 'sim' && !['sim', ...TOOLING].includes(layerOf(i.file)),
  },
  {
    name: 'client/ imports nothing from api/',
    broken: (i) => layerOf(i.file) === 'client' && i.target !== null && layerOf(i.target) === 'api' && !CLIENT_API_EXCEPTIONS.includes(`${i.file} -> ${i.target}`),
  },
  {
    name: 'only catalog/ imports better-sqlite3 and pg',
    broken: (i) => ['better-sqlite3', 'pg'].includes(packageOf(i.spec)) && !['catalog', ...TOOLING].includes(layerOf(i.file)),
  },
  {
    name: 'only bucket/ imports @aws-sdk/*',
    broken: (i) => i.spec.startsWith('@aws-sdk/') && !['bucket', ...TOOLING].includes(layerOf(i.file)),
  },
  {
    name: 'catalog/ and bucket/ import from the repository only core/ and themselves',
    broken: (i) => ['catalog', 'bucket'].includes(layerOf(i.file)) && i.target !== null && ![layerOf(i.file), 'core'].includes(layerOf(i.target)),
  },
  {
    name: 'core/ is pure: only core/ and zod, no Node modules',
    broken: (i) => layerOf(i.file) === 'core' && (i.target !== null ? layerOf(i.target) !== 'core' : packageOf(i.spec) !== 'zod'),
  },
];

const violations = (imports: Import[]) =>
  RULES.flatMap((r) => imports.filter(r.broken).map((i) => `${i.file}:${i.line} imports '${i.spec}': ${r.name}`));

const ALL: Import[] = tsFiles(ROOT).flatMap((p) => {
  const file = relative(ROOT, p).split(sep).join('/');
  return importsOf(file, readFileSync(p, 'utf8'));
});

describe('import layers of the repository', () => {
  it('reads the imports of every layer', () => {
    const layers = new Set(ALL.map((i) => layerOf(i.file)));
    for (const l of ['workflows', 'activities', 'catalog', 'bucket', 'core', 'api', 'client', 'worker', 'sim', 'test']) expect(layers).toContain(l);
    expect(ALL.some((i) => i.file === 'test/unit/layers.test.ts' && i.spec === 'typescript')).toBe(true);
  });

  it('breaks none of the rules', () => {
    expect(violations(ALL)).toEqual([]);
  });

  it('lists only client → api exceptions that still exist', () => {
    const present = new Set(ALL.map((i) => `${i.file} -> ${i.target}`));
    expect(CLIENT_API_EXCEPTIONS.filter((e) => !present.has(e))).toEqual([]);
  });
});

describe('the import reader and the rules', () => {
  it.each([
    ["import type { A } from '../activities/x.js';", true],
    ["import { type A, type B } from '../activities/x.js';", true],
    ["import { type A, b } from '../activities/x.js';", false],
    ["import a, { type B } from '../activities/x.js';", false],
    ["import * as x from '../activities/x.js';", false],
    ["import '../activities/x.js';", false],
    ["export type { A } from '../activities/x.js';", true],
    ["export { a } from '../activities/x.js';", false],
    ["export * from '../activities/x.js';", false],
    ["const m = await import('../activities/x.js');", false],
    ["let t: import('../activities/x.js').A;", true],
  ])('%s: type-only %s', (text, typeOnly) => {
    const [i] = importsOf('workflows/w.ts', text);
    expect(i).toMatchObject({ spec: '../activities/x.js', target: 'activities/x.js', typeOnly });
  });

  it.each([
    ['workflows/w.ts', "import { createCatalogActivities } from '../activities/controller/activities.js';", 'workflows/ take only types'],
    ['workflows/w.ts', "import { readFileSync } from 'node:fs';", 'workflows/ import no Node modules'],
    ['workflows/w.ts', "import { join } from 'path';", 'workflows/ import no Node modules'],
    ['activities/controller/x.ts', "import type { X } from '../../workflows/backups.js';", 'activities/ import nothing from workflows/'],
    ['api/x.ts', "import { run } from '../sim/main.js';", 'only sim/, test/, bench/ and scripts/ import sim/'],
    ['client/x.ts', "import type { Json } from '../api/linstor-shapes.js';", 'client/ imports nothing from api/'],
    ['api/x.ts', "import pg from 'pg';", 'only catalog/ imports better-sqlite3 and pg'],
    ['worker/x.ts', "const { default: D } = await import('better-sqlite3');", 'only catalog/ imports better-sqlite3 and pg'],
    ['activities/node/x.ts', "import type { S3Client } from '@aws-sdk/client-s3';", 'only bucket/ imports @aws-sdk/*'],
    ['bucket/x.ts', "import { runHostCommand } from '../activities/node/host/run.js';", 'catalog/ and bucket/ import from the repository only'],
    ['core/x.ts', "import { createHash } from 'node:crypto';", 'core/ is pure'],
  ])('%s: %s breaks "%s"', (file, text, rule) => {
    const found = violations(importsOf(file, text));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(rule);
  });

  it.each([
    ['workflows/w.ts', "import type { ControllerActivities } from '../activities/controller/activities.js';"],
    ['workflows/w.ts', "import { proxyActivities } from '@temporalio/workflow';"],
    ['workflows/w.ts', "import { nodeQueueFor } from '../core/operations.js';"],
    ['test/integration/x.ts', "import { PutObjectCommand } from '@aws-sdk/client-s3';"],
    ['scripts/x.ts', "import { main } from '../sim/main.js';"],
    ['catalog/db.ts', "const pg = await import('pg');"],
    ['bucket/s3.ts', "import { S3Client } from '@aws-sdk/client-s3';"],
  ])('%s: %s is allowed', (file, text) => {
    expect(violations(importsOf(file, text))).toEqual([]);
  });
});
