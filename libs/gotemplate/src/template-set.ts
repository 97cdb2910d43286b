import type { Node, ParsedTemplate } from './parser';

/**
 * Go's template sets: parsing more text into a `*template.Template` adds its `define`s to the
 * templates the set already has, so a template can call `{{ template "x" }}` defined in another
 * file (Alertmanager parses its default templates, then the user's files, then each config
 * field into one set).
 */

/** Go's parse.IsEmptyTree: nothing but white space. */
function isEmptyTree(list: readonly Node[]): boolean {
  return list.every((n) => n.kind === 'text' && n.text.trim() === '');
}

/**
 * `added` joined to the set `base`: the result executes `added`'s root with the definitions of
 * both. A definition in `added` replaces one of the same name in `base` unless it is empty (Go
 * keeps a non-empty template rather than replace it with an empty one). Errors raised inside a
 * definition name the source it was parsed from.
 */
export function addParseTree(base: ParsedTemplate | undefined, added: ParsedTemplate): ParsedTemplate {
  const defined = new Map(base?.defined);
  const definedIn = new Map(base?.definedIn);
  if (base) for (const name of base.defined.keys()) if (!definedIn.has(name)) definedIn.set(name, { name: base.name, source: base.source });
  for (const [name, list] of added.defined) {
    if (defined.has(name) && isEmptyTree(list) && !isEmptyTree(defined.get(name)!)) continue;
    defined.set(name, list);
    const origin = added.definedIn?.get(name);
    if (origin) definedIn.set(name, origin);
    else definedIn.delete(name);
  }
  return { name: added.name, source: added.source, root: added.root, defined, definedIn };
}
