// `npm run size -- --unmangled`: the property names lib/ code leaves unshortened in the browser
// bundles, each with what keeps it from mangled-properties.ts (a surface of bench/mangle-surfaces.ts
// that names it, or a quoted string in lib/), or "none" for a name that could be added. Read from
// the built bundles (acorn): member accesses, object keys and class members, `#private` left out.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { MANGLED_PROPERTIES } from '../mangled-properties.ts';
import { identifiersOf, LIB_SOURCES, namesOn, OUTSIDE, quotedInLib } from './mangle-surfaces.ts';

/** One unshortened name: how often the bundles write it, and what blocks it ([] = nothing). */
export interface UnmangledName {
  readonly name: string;
  readonly occurrences: number;
  readonly blockedBy: readonly string[];
}

/** Adds the property names `file` writes (member accesses, object keys, class members) to `counts`. */
function propertyNamesIn(file: string, counts: Map<string, number>): void {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const count = (name: ts.Node | undefined): void => {
    if (name !== undefined && ts.isIdentifier(name)) counts.set(name.text, (counts.get(name.text) ?? 0) + 1);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) count(node.name);
    else if (
      ts.isPropertyAssignment(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isPropertyDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)
    )
      count(node.name);
    else if (ts.isShorthandPropertyAssignment(node)) count(node.name);
    else if (ts.isBindingElement(node))
      count(node.propertyName ?? (ts.isObjectBindingPattern(node.parent) ? node.name : undefined));
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** lib/'s property names left whole in `files` (built bundles), most written first. */
export function unmangledNames(files: readonly string[]): UnmangledName[] {
  const counts = new Map<string, number>();
  for (const file of files) propertyNamesIn(file, counts);
  const inLib = identifiersOf(LIB_SOURCES.filter((file) => !file.startsWith('lib/shims/')));
  const mangled = new Set(MANGLED_PROPERTIES);
  const surfaces = Object.keys(OUTSIDE).map((surface) => [surface, namesOn(surface)] as const);
  const quoted = quotedInLib();
  return [...counts]
    .filter(([name]) => inLib.has(name) && !mangled.has(name) && name.length > 2)
    .map(([name, occurrences]) => ({
      name,
      occurrences,
      blockedBy: [
        ...surfaces.filter(([, names]) => names.has(name)).map(([surface]) => surface),
        ...(quoted.has(name) ? ['a quoted string in lib/'] : []),
      ],
    }))
    .sort((x, y) => y.occurrences * y.name.length - x.occurrences * x.name.length);
}
