// TypeScript ground truth from the compiler API: declarations, heritage clauses, annotated types and calls resolved
// by the type checker, written as ISG-SPEC JSONL records without ids (typescript.py adds them).
// usage: node typescript_truth.js TYPESCRIPT_MODULE_DIR WORKSPACE_ROOT > records.jsonl
"use strict";
const path = require("path");
const fs = require("fs");
const ts = require(process.argv[2]);
const root = path.resolve(process.argv[3]);

function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) { if (entry.name !== "node_modules") walk(full, out); }
    else if (/\.(ts|tsx)$/.test(entry.name) && !/\.d\.ts$/.test(entry.name)) out.push(full);
  }
  return out;
}

const files = walk(root, []).sort();
const program = ts.createProgram(files, {
  target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Node10,
  noEmit: true, skipLibCheck: true, strict: false, allowJs: false, jsx: ts.JsxEmit.Preserve,
});
const checker = program.getTypeChecker();
const inWorkspace = new Set(files.map((f) => path.resolve(f)));
const out = [];
const emit = (record) => out.push(JSON.stringify(record));

function moduleOf(sf) {
  return path.relative(root, sf.fileName).split(path.sep).join("/").replace(/\.(d\.)?(ts|tsx)$/, "");
}

// the FQP of the module or namespace a declaration is an item of: its file's module, or an M node of
// `namespace N {}`, `declare global {}`, `declare module "x" {}` (ISG-SPEC §1 Clarifications); null for anything else
// (a class member, a local declaration). A variable declaration is an item of its statement's container.
function containerOf(decl) {
  let at = decl;
  if (ts.isVariableDeclaration(at)) {
    const stmt = at.parent && at.parent.parent;
    if (!stmt || !ts.isVariableStatement(stmt)) return null;
    at = stmt;
  }
  const parent = at.parent;
  if (!parent) return null;
  if (ts.isSourceFile(parent)) return moduleOf(parent);
  const owner = ts.isModuleBlock(parent) ? parent.parent : ts.isModuleDeclaration(parent) ? parent : null;
  if (!owner) return null;
  const found = nodeOf(owner);
  return found && found.kind === "M" ? found.fqp : null;
}

// the statements a container holds: a file's, or a namespace's (through `namespace A.B {}`)
function statementsOf(decl) {
  if (ts.isSourceFile(decl)) return decl.statements;
  let body = decl.body;
  while (body && ts.isModuleDeclaration(body)) body = body.body;
  return body && ts.isModuleBlock(body) ? body.statements : [];
}

// the FQP and kind of a declaration that is a node, or null
function nodeOf(decl) {
  if (!decl) return null;
  const sf = decl.getSourceFile();
  if (!inWorkspace.has(path.resolve(sf.fileName))) return null;
  const mod = containerOf(decl);
  const top = mod !== null;
  const nameOf = (d) => (d.name && ts.isIdentifier(d.name) ? d.name.text : d.name && d.name.getText ? d.name.getText() : null);
  // `namespace N {}`, `declare global {}`, `declare module "x" {}`: M nodes holding their declarations
  if (ts.isModuleDeclaration(decl) && top) {
    const name = (decl.flags & ts.NodeFlags.GlobalAugmentation) ? "global" :
      ts.isStringLiteral(decl.name) ? decl.name.text : decl.name.text;
    return { kind: "M", fqp: `${mod}::${name}` };
  }
  if (ts.isFunctionDeclaration(decl) && top && decl.name) return { kind: "F", fqp: `${mod}::${decl.name.text}` };
  if (ts.isClassDeclaration(decl) && top && decl.name) return { kind: "S", fqp: `${mod}::${decl.name.text}` };
  if (ts.isInterfaceDeclaration(decl) && top) return { kind: "T", fqp: `${mod}::${decl.name.text}` };
  if (ts.isEnumDeclaration(decl) && top) return { kind: "E", fqp: `${mod}::${decl.name.text}` };
  if (ts.isTypeAliasDeclaration(decl) && top) return { kind: "A", fqp: `${mod}::${decl.name.text}` };
  if (ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name) && decl.initializer &&
      (ts.isArrowFunction(decl.initializer) || ts.isFunctionExpression(decl.initializer))) {
    if (top && (decl.parent.flags & ts.NodeFlags.Const)) return { kind: "F", fqp: `${mod}::${decl.name.text}` };
    return null;
  }
  if (ts.isArrowFunction(decl) || ts.isFunctionExpression(decl)) {
    if (decl.parent && (ts.isVariableDeclaration(decl.parent) || ts.isPropertyDeclaration(decl.parent)))
      return nodeOf(decl.parent);
    return null;
  }
  const owner = decl.parent;
  if (owner && (ts.isClassDeclaration(owner) || ts.isInterfaceDeclaration(owner))) {
    const ownerNode = nodeOf(owner);
    if (!ownerNode) return null;
    if (ts.isConstructorDeclaration(decl)) return { kind: "F", fqp: `${ownerNode.fqp}::constructor` };
    if (ts.isMethodDeclaration(decl) || ts.isMethodSignature(decl) || ts.isGetAccessorDeclaration(decl) ||
        ts.isSetAccessorDeclaration(decl)) {
      const n = nameOf(decl);
      return n ? { kind: "F", fqp: `${ownerNode.fqp}::${n}` } : null;
    }
    if (ts.isPropertyDeclaration(decl) && decl.initializer &&
        (ts.isArrowFunction(decl.initializer) || ts.isFunctionExpression(decl.initializer))) {
      const n = nameOf(decl);
      return n ? { kind: "F", fqp: `${ownerNode.fqp}::${n}` } : null;
    }
  }
  if (ts.isTypeParameterDeclaration(decl)) {
    const ownerNode = nodeOf(decl.parent);
    return ownerNode ? { kind: "G", fqp: `${ownerNode.fqp}::<${decl.name.text}>` } : null;
  }
  return null;
}

const nodes = new Map();
function node(n, external) {
  const key = n.kind + "\u0000" + n.fqp;
  const old = nodes.get(key);
  if (!old || (old.external && !external)) nodes.set(key, { kind: n.kind, fqp: n.fqp, external: !!external });
  return n;
}
const edges = new Set();
function edge(src, kind, dst) {
  if (!src || !dst || (src.fqp === dst.fqp && kind !== "CALLS")) return;
  const key = JSON.stringify([src.kind, src.fqp, kind, dst.kind, dst.fqp]);
  edges.add(key);
}

function symbolTarget(sym) {
  if (!sym) return null;
  if (sym.flags & ts.SymbolFlags.Alias) { try { sym = checker.getAliasedSymbol(sym); } catch (e) { return null; } }
  let decl = (sym.declarations || [])[0];
  if (!decl) return null;
  // `type_: ArchType.Object`: an enum member's type names its enum (the named type the reference mentions)
  if (ts.isEnumMember(decl)) decl = decl.parent;
  const found = nodeOf(decl);
  if (found) return node(found, false);
  if (inWorkspace.has(path.resolve(decl.getSourceFile().fileName))) return null;   // a workspace non-node
  const kind = ts.isInterfaceDeclaration(decl) ? "T" : ts.isEnumDeclaration(decl) ? "E" :
    ts.isTypeAliasDeclaration(decl) ? "A" : "S";
  return node({ kind, fqp: sym.getName() }, true);
}

// the named types a type annotation mentions
function typeTargets(typeNode) {
  const found = [];
  const visit = (n) => {
    if (ts.isTypeReferenceNode(n)) {
      const target = symbolTarget(checker.getSymbolAtLocation(n.typeName));
      if (target) found.push(target);
    } else if (ts.isExpressionWithTypeArguments(n)) {
      const target = symbolTarget(checker.getSymbolAtLocation(n.expression));
      if (target) found.push(target);
    } else if (ts.isTypeQueryNode(n)) {
      return;
    }
    ts.forEachChild(n, visit);
  };
  if (typeNode) visit(typeNode);
  return found;
}

function headTargets(typeNode) {
  if (!typeNode) return [];
  if (ts.isUnionTypeNode(typeNode) || ts.isIntersectionTypeNode(typeNode)) return typeNode.types.flatMap(headTargets);
  if (ts.isTypeReferenceNode(typeNode)) {
    const t = symbolTarget(checker.getSymbolAtLocation(typeNode.typeName));
    return t ? [t] : [];
  }
  return [];
}

function generics(decl, owner) {
  for (const tp of decl.typeParameters || []) {
    const g = node({ kind: "G", fqp: `${owner.fqp}::<${tp.name.text}>` }, false);
    for (const bound of headTargets(tp.constraint)) edge(g, "BOUND_BY", bound);
  }
}

function fn(decl, self) {
  const sig = decl;
  generics(sig, self);
  for (const p of sig.parameters || []) for (const t of typeTargets(p.type)) edge(self, "ACCEPTS", t);
  for (const t of typeTargets(sig.type)) edge(self, "RETURNS", t);
}

function heritage(decl, self, isInterface) {
  for (const clause of decl.heritageClauses || []) {
    for (const t of clause.types) {
      const target = symbolTarget(checker.getSymbolAtLocation(t.expression));
      if (!target) continue;
      const kind = clause.token === ts.SyntaxKind.ImplementsKeyword ? "IMPL" : "EXTENDS";
      edge(self, isInterface ? "EXTENDS" : kind, target);
    }
  }
}

function members(decl, self, isInterface) {
  for (const m of decl.members) {
    // constructor parameter properties (`constructor(private s: Scheduler)`) are fields
    if (ts.isConstructorDeclaration(m))
      for (const p of m.parameters)
        if (ts.isParameterPropertyDeclaration(p, m) && p.type)
          for (const t of typeTargets(p.type)) edge(self, "USES", t);
    const mn = nodeOf(m) || (ts.isPropertyDeclaration(m) && m.initializer ? nodeOf(m.initializer) : null);
    if (mn) {
      node(mn, false);
      edge(self, isInterface ? "DEFINES" : "CONTAINS", mn);
      const f = ts.isPropertyDeclaration(m) ? m.initializer : m;
      fn(f, mn);
      continue;
    }
    if ((ts.isPropertyDeclaration(m) || ts.isPropertySignature(m)) && m.type)
      for (const t of typeTargets(m.type)) edge(self, "USES", t);
  }
}

function items(container, mod) {
  for (const stmt of statementsOf(container)) {
    const decls = ts.isVariableStatement(stmt) ? stmt.declarationList.declarations : [stmt];
    for (const decl of decls) {
      const self = nodeOf(decl);
      if (!self) continue;
      node(self, false);
      edge(mod, "CONTAINS", self);
      if (ts.isModuleDeclaration(decl)) { items(decl, self); continue; }
      if (ts.isClassDeclaration(decl)) { generics(decl, self); heritage(decl, self, false); members(decl, self, false); }
      else if (ts.isInterfaceDeclaration(decl)) { generics(decl, self); heritage(decl, self, true); members(decl, self, true); }
      else if (ts.isTypeAliasDeclaration(decl)) { generics(decl, self); for (const t of typeTargets(decl.type)) edge(self, "USES", t); }
      else if (ts.isFunctionDeclaration(decl)) fn(decl, self);
      else if (ts.isVariableDeclaration(decl)) fn(decl.initializer, self);
    }
  }
}

for (const sf of program.getSourceFiles()) {
  if (!inWorkspace.has(path.resolve(sf.fileName))) continue;
  const mod = node({ kind: "M", fqp: moduleOf(sf) }, false);
  items(sf, mod);
  // calls: the enclosing node-function of each call, and the declaration the checker resolves it to
  const visit = (n, current) => {
    let here = current;
    const own = ts.isFunctionLike(n) ? nodeOf(n) : null;
    if (own && own.kind === "F") here = own;
    if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && here) {
      let sig = null;
      try { sig = checker.getResolvedSignature(n); } catch (e) { sig = null; }
      const decl = sig && sig.declaration;
      if (decl && !ts.isJSDocSignature(decl)) {
        const target = nodeOf(decl);
        if (target && target.kind === "F") edge(here, "CALLS", node(target, false));
      }
    }
    ts.forEachChild(n, (c) => visit(c, here));
  };
  visit(sf, null);
}

for (const n of nodes.values()) emit({ type: "node", kind: n.kind, fqp: n.fqp, external: n.external });
for (const key of edges) {
  const [sk, sf, kind, dk, df] = JSON.parse(key);
  emit({ type: "edge", src: [sk, sf], kind, dst: [dk, df] });
}
process.stdout.write(out.join("\n") + "\n");
