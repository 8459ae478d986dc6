// Agents run only a fixed set of host commands. This walks the TypeScript AST of every file under
// activities/node/ (with the compiler's type checker, not grep) and checks each call of execa /
// runHostCommand (and of runners injected in their place): the command must resolve to string
// literals from the allow-list, the arguments must be an array (never one string for a shell),
// and no call may ask for a shell. A command that comes from a parameter is followed to every call
// site of its function in agent code (through array elements, object properties, `??`, `?:`).
import { describe, expect, it } from '@jest/globals';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ALLOWED = new Set(['lvs', 'vgs', 'lvcreate', 'lvremove', 'lvextend', 'lvchange', 'lvrename', 'drbdadm', 'drbdsetup', 'drbdmeta', 'thin_send', 'thin_recv', 'zstd']);
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const NODE_DIR = join(ROOT, 'activities', 'node');
const SPAWNERS = new Set(['execa', 'execaSync', 'execaCommand', 'execaCommandSync', '$', 'execaNode', 'runHostCommand']);
const FORBIDDEN_MODULES = new Set(['child_process', 'node:child_process']);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

type Step = { prop: string } | { index: number };
interface Resolved { commands: string[]; problems: string[] }

function analyse(scanDir = NODE_DIR) {
  const files = walk(scanDir);
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const sources = program.getSourceFiles().filter((s) => s.fileName.startsWith(scanDir));
  const where = (n: ts.Node) => `${relative(ROOT, n.getSourceFile().fileName)}:${n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const symbolOf = (n: ts.Node): ts.Symbol | undefined => {
    const s = checker.getSymbolAtLocation(n);
    return s && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  };

  // every call expression of agent code, by the symbol it calls
  const calls: ts.CallExpression[] = [];
  const problems: string[] = [];
  for (const sf of sources) {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) calls.push(n);
      if (ts.isTaggedTemplateExpression(n) && ts.isIdentifier(n.tag) && SPAWNERS.has(n.tag.text)) problems.push(`${where(n)}: template-string command ${n.getText().slice(0, 60)}`);
      if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier) && FORBIDDEN_MODULES.has(n.moduleSpecifier.text)) problems.push(`${where(n)}: imports ${n.moduleSpecifier.text} (use execa with argument arrays)`);
      // `shell: false` is what execa does anyway; anything else could start a shell
      if (ts.isPropertyAssignment(n) && n.name.getText() === 'shell' && n.initializer.kind !== ts.SyntaxKind.FalseKeyword) problems.push(`${where(n)}: shell option`);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  const callSites = (fn: ts.Symbol) => calls.filter((c) => symbolOf(c.expression) === fn);

  /** Is this call a spawner: execa/runHostCommand, or a variable bound to runHostCommand (an injected runner)? */
  function isSpawner(c: ts.CallExpression): boolean {
    if (!ts.isIdentifier(c.expression)) return false;
    const s = symbolOf(c.expression);
    if (!s) return false;
    if (SPAWNERS.has(s.getName()) && s.declarations?.some((d) => !d.getSourceFile().fileName.startsWith(scanDir) || ts.isFunctionDeclaration(d))) return true;
    return Boolean(s.declarations?.some((d) => (ts.isBindingElement(d) || ts.isVariableDeclaration(d)) && d.initializer && ts.isIdentifier(d.initializer) && d.initializer.text === 'runHostCommand'));
  }

  const seen = new Set<string>();
  function resolveExpr(e: ts.Expression, path: Step[], depth = 0): Resolved {
    const key = `${where(e)}#${e.getStart()}-${e.getEnd()}#${e.kind}#${JSON.stringify(path)}`;
    if (seen.has(key) || depth > 12) return { commands: [], problems: [] };
    seen.add(key);
    const out: Resolved = { commands: [], problems: [] };
    const add = (r: Resolved) => { out.commands.push(...r.commands); out.problems.push(...r.problems); return out; };
    const bad = (why: string) => add({ commands: [], problems: [`${where(e)}: ${why}: ${e.getText().slice(0, 80)}`] });
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e)) return resolveExpr(e.expression, path, depth + 1);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return path.length === 0 ? add({ commands: [e.text], problems: [] }) : bad('string used as a container');
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
      add(resolveExpr(e.left, path, depth + 1));
      return add(resolveExpr(e.right, path, depth + 1));
    }
    if (ts.isConditionalExpression(e)) {
      add(resolveExpr(e.whenTrue, path, depth + 1));
      return add(resolveExpr(e.whenFalse, path, depth + 1));
    }
    if (ts.isArrayLiteralExpression(e)) {
      const [first, ...rest] = path;
      if (!first || !('index' in first)) return bad('array where a command was expected');
      const before = e.elements.slice(0, first.index + 1);
      if (before.some((x) => ts.isSpreadElement(x))) return bad('spread before the command element');
      const el = e.elements[first.index];
      return el ? resolveExpr(el, rest, depth + 1) : out;
    }
    if (ts.isObjectLiteralExpression(e)) {
      const [first, ...rest] = path;
      if (!first || !('prop' in first)) return bad('object where a command was expected');
      const p = e.properties.find((x) => x.name?.getText() === first.prop);
      // `...(cond ? { a } : {})` spreads: each object they may add is looked into as well
      for (const sp of e.properties.filter(ts.isSpreadAssignment)) {
        const objects: ts.Expression[] = [sp.expression];
        while (objects.length) {
          const o = objects.pop()!;
          if (ts.isParenthesizedExpression(o)) objects.push(o.expression);
          else if (ts.isConditionalExpression(o)) objects.push(o.whenTrue, o.whenFalse);
          else if (ts.isObjectLiteralExpression(o)) add(resolveExpr(o, path, depth + 1));
          else bad('object spread may carry the command');
        }
      }
      if (!p) return out; // absent: undefined, the other side of `??` applies
      if (ts.isPropertyAssignment(p)) return resolveExpr(p.initializer, rest, depth + 1);
      if (ts.isShorthandPropertyAssignment(p)) return resolveExpr(p.name, rest, depth + 1);
      return bad('computed property');
    }
    if (ts.isPropertyAccessExpression(e)) return resolveExpr(e.expression, [{ prop: e.name.text }, ...path], depth + 1);
    if (ts.isElementAccessExpression(e) && ts.isNumericLiteral(e.argumentExpression)) return resolveExpr(e.expression, [{ index: Number(e.argumentExpression.text) }, ...path], depth + 1);
    if (ts.isIdentifier(e)) {
      const s = symbolOf(e);
      const d = s?.declarations?.[0];
      if (!d) return bad('unresolvable identifier');
      if (ts.isVariableDeclaration(d) && ts.isIdentifier(d.name)) {
        if (!(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const)) return bad('command from a mutable variable');
        return d.initializer ? resolveExpr(d.initializer, path, depth + 1) : bad('uninitialised');
      }
      if (ts.isBindingElement(d)) {
        // `const [file, ...args] = argv` / `const { cmd } = opts`: the path inside the initializer or parameter
        const prefix: Step[] = [];
        let n: ts.Node = d;
        while (ts.isBindingElement(n)) {
          const pattern: ts.BindingPattern = n.parent;
          if (ts.isArrayBindingPattern(pattern)) prefix.unshift({ index: pattern.elements.indexOf(n) });
          else prefix.unshift({ prop: (n.propertyName ?? n.name).getText() });
          n = pattern.parent;
        }
        if (ts.isVariableDeclaration(n) && n.initializer) return resolveExpr(n.initializer, [...prefix, ...path], depth + 1);
        if (ts.isParameter(n)) return resolveParam(n, [...prefix, ...path], depth);
        return bad('binding without initializer');
      }
      if (ts.isParameter(d)) return resolveParam(d, path, depth);
      return bad('unsupported declaration');
    }
    return bad('not a literal');
  }

  function resolveParam(p: ts.ParameterDeclaration, path: Step[], depth: number): Resolved {
    const out: Resolved = { commands: [], problems: [] };
    if (path.length === 0) {
      // a parameter typed as a union of string literals: those are the commands
      const t = checker.getTypeAtLocation(p);
      const parts = t.isUnion() ? t.types : [t];
      if (parts.every((x) => x.isStringLiteral())) return { commands: parts.map((x) => (x as ts.StringLiteralType).value), problems: [] };
    }
    const fn = p.parent;
    const index = fn.parameters.indexOf(p);
    let name: ts.Node | undefined;
    if (ts.isFunctionDeclaration(fn)) name = fn.name;
    else if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent)) name = fn.parent.name;
    const s = name && symbolOf(name);
    if (!s) return { commands: [], problems: [`${where(p)}: command from a parameter of an anonymous function`] };
    // agent code that calls this function decides the command; none: the agent never runs it
    for (const c of callSites(s)) {
      const arg = c.arguments[index];
      if (!arg) {
        if (p.initializer) {
          const r = resolveExpr(p.initializer, path, depth + 1);
          out.commands.push(...r.commands);
          out.problems.push(...r.problems);
        }
        continue;
      }
      const r = resolveExpr(arg, path, depth + 1);
      out.commands.push(...r.commands);
      out.problems.push(...r.problems);
    }
    return out;
  }

  const found: { at: string; commands: string[] }[] = [];
  for (const c of calls.filter(isSpawner)) {
    const [cmd, args, opts] = c.arguments;
    if (!cmd) {
      problems.push(`${where(c)}: spawn without a command`);
      continue;
    }
    seen.clear();
    const r = resolveExpr(cmd, []);
    problems.push(...r.problems);
    for (const name of r.commands) if (!ALLOWED.has(name)) problems.push(`${where(c)}: command '${name}' is not on the allow-list`);
    if (!args) problems.push(`${where(c)}: no argument array`);
    else {
      const t = checker.getTypeAtLocation(args);
      if (!(checker.isArrayType(t) || checker.isTupleType(t) || checker.isArrayLikeType(t)) || t.flags & ts.TypeFlags.StringLike) problems.push(`${where(c)}: arguments are not an array: ${args.getText().slice(0, 60)}`);
    }
    if (opts && !ts.isObjectLiteralExpression(opts) && !ts.isIdentifier(opts)) problems.push(`${where(c)}: options that cannot be read: ${opts.getText().slice(0, 60)}`);
    found.push({ at: where(c), commands: [...new Set(r.commands)].sort() });
  }
  return { files, found, problems };
}

describe('host commands of the node agent', () => {
  const { files, found, problems } = analyse();

  it('are spawned only with allow-listed literal command names, argument arrays and no shell', () => {
    process.stdout.write(`host-command allow-list: ${files.length} files, ${found.length} spawn calls:\n${found.map((f) => `  ${f.at}: ${f.commands.join(', ') || '(not called by agent code)'}`).join('\n')}\n`);
    expect(problems).toEqual([]);
  });

  it('finds the spawn sites it should (the walk sees lvm, drbd, thin and the backup pipeline)', () => {
    const all = new Set(found.flatMap((f) => f.commands));
    for (const c of ['lvs', 'vgs', 'lvcreate', 'drbdadm', 'drbdsetup', 'thin_send', 'thin_recv', 'zstd']) expect(all).toContain(c);
    expect(found.some((f) => f.at.startsWith('activities/node/host/run.ts'))).toBe(true);
  });
});

describe('the allow-list check itself', () => {
  it('reports every kind of bad spawn in a bad agent file (test/fixtures/allowlist/bad-agent.ts)', () => {
    const { problems } = analyse(join(ROOT, 'test', 'fixtures', 'allowlist'));
    const text = problems.join('\n');
    expect(text).toMatch(/bad-agent\.ts:7: command 'sh' is not on the allow-list/);
    expect(text).toMatch(/bad-agent\.ts:11: shell option/);
    expect(text).toMatch(/command from a mutable variable/);
    expect(text).toMatch(/bad-agent\.ts:2\d: command from a mutable variable: process/);
    expect(text).toMatch(/arguments are not an array/);
  });
});
