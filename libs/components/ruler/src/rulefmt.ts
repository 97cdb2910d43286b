import { ValidationError } from '@panoptes/common';
import { isValidLabelName, parseDuration, parseExpr } from '@panoptes/promql';
import { LineCounter, type Node as YamlNode, type Pair, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { alertTemplateParseError } from './template/template';

/**
 * The Prometheus rule-file format (model/rulefmt): parsing with unknown fields rejected, and
 * validation with Prometheus's texts (`5:11: group "g", rule 1, "HighLoad": could not parse
 * expression: …`). A POST body of the Mimir rules API is one group; a rule file is `groups:`.
 */

export interface RuleSpec {
  /** Exactly one of `record` and `alert` is set (validation checks it). */
  record?: string;
  alert?: string;
  expr: string;
  /** How long an alert stays pending before it fires, ms. */
  forMs: number;
  /** How long an alert keeps firing after its condition is gone, ms. */
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroupSpec {
  name: string;
  /** Evaluation interval, ms; 0 means the ruler's default. */
  intervalMs: number;
  /** How far back of the evaluation time rules query, ms; undefined means the ruler's default. */
  queryOffsetMs: number | undefined;
  /** Most series a recording rule and most alerts an alerting rule may produce; 0 is no limit. */
  limit: number;
  /** Labels added to every rule of the group (a rule's own labels win). */
  labels: Record<string, string>;
  rules: RuleSpec[];
}

/** Everything wrong with a rule group or file; `errors` are the individual texts. */
export class RuleFormatError extends ValidationError {
  constructor(readonly errors: readonly string[]) {
    super('invalid_rules', errors.join(', '));
  }
}

const GROUP_FIELDS = new Set(['name', 'interval', 'query_offset', 'limit', 'rules', 'labels']);
const RULE_FIELDS = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Located {
  line: number;
  col: number;
}

/** Reads YAML nodes into specs, collecting Go yaml.v3-style decode errors. */
class Decoder {
  readonly errors: string[] = [];
  private readonly lc = new LineCounter();

  constructor(private readonly text: string) {}

  document(): YamlNode | null | undefined {
    const doc = parseDocument(this.text, { lineCounter: this.lc, uniqueKeys: false, prettyErrors: false });
    for (const e of doc.errors) {
      const at = this.lc.linePos(e.pos[0]);
      this.errors.push(`yaml: line ${at.line}: ${e.message.split('\n')[0]}`);
    }
    return doc.errors.length > 0 ? undefined : (doc.contents as YamlNode | null);
  }

  at(node: YamlNode | null | undefined): Located {
    const pos = node?.range?.[0];
    if (pos === undefined) return { line: 0, col: 0 };
    const p = this.lc.linePos(pos);
    return { line: p.line, col: p.col };
  }

  /** The key → value pairs of a mapping, reporting unknown and repeated keys. */
  fields(node: YamlNode, type: string, known: ReadonlySet<string>, context: (msg: string, at: Located) => string): Map<string, { key: YamlNode; value: YamlNode | null }> {
    const out = new Map<string, { key: YamlNode; value: YamlNode | null }>();
    if (!isMap(node)) {
      this.errors.push(context(`cannot unmarshal ${tagOf(node)} into ${type}`, this.at(node)));
      return out;
    }
    for (const pair of node.items as Pair<YamlNode, YamlNode | null>[]) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      const at = this.at(pair.key);
      if (!known.has(name)) this.errors.push(context(`field ${name} not found in type ${type}`, at));
      else if (out.has(name)) this.errors.push(context(`mapping key "${name}" already defined at line ${this.at(out.get(name)!.key).line}`, at));
      else out.set(name, { key: pair.key, value: pair.value });
    }
    return out;
  }

  string(node: YamlNode | null | undefined, context: (msg: string, at: Located) => string): string {
    if (node === null || node === undefined) return '';
    if (!isScalar(node)) {
      this.errors.push(context(`cannot unmarshal ${tagOf(node)} into string`, this.at(node)));
      return '';
    }
    if (node.value === null) return '';
    // yaml.v3 decodes any scalar into a string as it is written.
    return node.type === 'PLAIN' && node.source !== undefined ? node.source : String(node.value);
  }

  duration(node: YamlNode | null | undefined, context: (msg: string, at: Located) => string): number {
    const s = this.string(node, context);
    if (s === '') return 0;
    try {
      return parseDuration(s);
    } catch (err) {
      this.errors.push(context((err as Error).message, this.at(node)));
      return 0;
    }
  }

  int(node: YamlNode | null | undefined, context: (msg: string, at: Located) => string): number {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return 0;
    if (isScalar(node) && typeof node.value === 'number' && Number.isSafeInteger(node.value)) return node.value;
    const shown = isScalar(node) ? ` \`${String(node.value)}\`` : '';
    this.errors.push(context(`cannot unmarshal ${tagOf(node)}${shown} into int`, this.at(node)));
    return 0;
  }

  stringMap(node: YamlNode | null | undefined, context: (msg: string, at: Located) => string): Record<string, string> {
    const out: Record<string, string> = {};
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return out;
    if (!isMap(node)) {
      this.errors.push(context(`cannot unmarshal ${tagOf(node)} into map[string]string`, this.at(node)));
      return out;
    }
    for (const pair of node.items as Pair<YamlNode, YamlNode | null>[]) out[this.string(pair.key, context)] = this.string(pair.value, context);
    return out;
  }
}

function tagOf(node: YamlNode | null | undefined): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  if (isScalar(node)) {
    if (node.value === null) return '!!null';
    if (typeof node.value === 'number') return Number.isInteger(node.value) ? '!!int' : '!!float';
    if (typeof node.value === 'boolean') return '!!bool';
  }
  return '!!str';
}

const where = (at: Located): string => (at.line > 0 ? `${at.line}:${at.col}: ` : '');

/** Decodes one group mapping; `ctxName` is the name used in messages before the name is known. */
function decodeGroup(d: Decoder, node: YamlNode): { group: RuleGroupSpec; ruleNodes: Map<string, YamlNode | null>[] } {
  let groupName = '';
  if (isMap(node)) {
    const nameNode = node.items.find((p) => isScalar(p.key) && p.key.value === 'name')?.value as YamlNode | null | undefined;
    if (isScalar(nameNode)) groupName = String(nameNode.value ?? '');
  }
  const gctx = (msg: string, at: Located): string => `${where(at)}group ${JSON.stringify(groupName)}: ${msg}`;
  const f = d.fields(node, 'rulefmt.RuleGroup', GROUP_FIELDS, gctx);
  const group: RuleGroupSpec = {
    name: d.string(f.get('name')?.value, gctx),
    intervalMs: d.duration(f.get('interval')?.value, gctx),
    queryOffsetMs: f.has('query_offset') ? d.duration(f.get('query_offset')!.value, gctx) : undefined,
    limit: d.int(f.get('limit')?.value, gctx),
    labels: d.stringMap(f.get('labels')?.value, gctx),
    rules: [],
  };
  const ruleNodes: Map<string, YamlNode | null>[] = [];
  const rulesNode = f.get('rules')?.value;
  if (rulesNode && !(isScalar(rulesNode) && rulesNode.value === null)) {
    if (!isSeq(rulesNode)) d.errors.push(gctx(`cannot unmarshal ${tagOf(rulesNode)} into []rulefmt.Rule`, d.at(rulesNode)));
    else {
      (rulesNode.items as YamlNode[]).forEach((rn, i) => {
        let ruleName = '';
        if (isMap(rn)) {
          const n = rn.items.find((p) => isScalar(p.key) && (p.key.value === 'alert' || p.key.value === 'record'))?.value;
          if (isScalar(n)) ruleName = String(n.value ?? '');
        }
        const rctx = (msg: string, at: Located): string => `${where(at)}group ${JSON.stringify(group.name)}, rule ${i + 1}, ${JSON.stringify(ruleName)}: ${msg}`;
        const rf = d.fields(rn, 'rulefmt.Rule', RULE_FIELDS, rctx);
        const rule: RuleSpec = {
          expr: d.string(rf.get('expr')?.value, rctx),
          forMs: d.duration(rf.get('for')?.value, rctx),
          keepFiringForMs: d.duration(rf.get('keep_firing_for')?.value, rctx),
          labels: d.stringMap(rf.get('labels')?.value, rctx),
          annotations: d.stringMap(rf.get('annotations')?.value, rctx),
        };
        const record = d.string(rf.get('record')?.value, rctx);
        const alert = d.string(rf.get('alert')?.value, rctx);
        if (record !== '') rule.record = record;
        if (alert !== '') rule.alert = alert;
        group.rules.push(rule);
        ruleNodes.push(new Map([...rf].map(([k, v]) => [k, v.value ?? v.key])));
      });
    }
  }
  return { group, ruleNodes };
}

/** The errors of one rule (Prometheus's `Rule.Validate`), each prefixed with where and which rule. */
function validateRule(group: string, index: number, r: RuleSpec, at: (field: string) => string): string[] {
  const name = r.alert ?? r.record ?? '';
  const prefix = (field: string | undefined): string => `${field ? at(field) : ''}group ${JSON.stringify(group)}, rule ${index + 1}, ${JSON.stringify(name)}: `;
  const errs: string[] = [];
  const add = (msg: string, field?: string): void => void errs.push(prefix(field) + msg);
  if (r.record !== undefined && r.alert !== undefined) add("only one of 'record' and 'alert' must be set", 'record');
  if (r.record === undefined && r.alert === undefined) add("one of 'record' or 'alert' must be set", 'record');
  if (r.expr === '') add("field 'expr' must be set in rule", 'expr');
  else {
    try {
      parseExpr(r.expr);
    } catch (err) {
      add(`could not parse expression: ${(err as Error).message}`, 'expr');
    }
  }
  if (r.record !== undefined) {
    if (Object.keys(r.annotations).length > 0) add("invalid field 'annotations' in recording rule", 'record');
    if (r.forMs !== 0) add("invalid field 'for' in recording rule", 'record');
    if (r.keepFiringForMs !== 0) add("invalid field 'keep_firing_for' in recording rule", 'record');
    if (!isValidLabelName(r.record)) add(`invalid recording rule name: ${r.record}`, 'record');
    if (r.record.includes('{') || r.record.includes('}')) add(`braces present in the recording rule name; should it be in expr?: ${r.record}`, 'record');
  }
  for (const [k, v] of sorted(r.labels)) {
    if (!isValidLabelName(k) || k === '__name__') add(`invalid label name: ${k}`);
    if (LONE_SURROGATE.test(v)) add(`invalid label value: ${v}`);
  }
  for (const [k] of sorted(r.annotations)) if (!isValidLabelName(k)) add(`invalid annotation name: ${k}`);
  if (r.alert !== undefined) {
    for (const [k, v] of sorted(r.labels)) {
      const e = alertTemplateParseError(r.alert, v);
      if (e) add(`label ${JSON.stringify(k)}: ${e}`);
    }
    for (const [k, v] of sorted(r.annotations)) {
      const e = alertTemplateParseError(r.alert, v);
      if (e) add(`annotation ${JSON.stringify(k)}: ${e}`);
    }
  }
  return errs;
}

function sorted(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function groupLabelErrors(g: RuleGroupSpec): string[] {
  const errs: string[] = [];
  for (const [k, v] of sorted(g.labels)) {
    if (!isValidLabelName(k) || k === '__name__') errs.push(`group ${JSON.stringify(g.name)}: invalid label name: ${k}`);
    if (LONE_SURROGATE.test(v)) errs.push(`group ${JSON.stringify(g.name)}: invalid label value: ${v}`);
  }
  return errs;
}

/**
 * Checks a group as the Mimir rules API does before storing it: a name, at least one rule, then
 * every rule (Prometheus's checks, templates included). Returns every problem found.
 */
export function validateRuleGroup(g: RuleGroupSpec, positions: readonly Map<string, string>[] = []): string[] {
  if (g.name === '') return ['invalid rules configuration: rule group name must not be empty'];
  if (g.rules.length === 0) return [`invalid rules configuration: rule group '${g.name}' has no rules`];
  const errs = groupLabelErrors(g);
  g.rules.forEach((r, i) => errs.push(...validateRule(g.name, i, r, (field) => positions[i]?.get(field) ?? '')));
  return errs;
}

function positionsOf(d: Decoder, ruleNodes: Map<string, YamlNode | null>[]): Map<string, string>[] {
  return ruleNodes.map((m) => new Map([...m].map(([k, node]) => [k, where(d.at(node))])));
}

/** Parses and validates one rule group (the body of `POST /config/v1/rules/{namespace}`). */
export function parseRuleGroup(text: string): RuleGroupSpec {
  const d = new Decoder(text);
  const root = d.document();
  if (d.errors.length > 0) throw new RuleFormatError(d.errors);
  if (root === null || root === undefined) throw new RuleFormatError(['invalid rules configuration: rule group name must not be empty']);
  const { group, ruleNodes } = decodeGroup(d, root);
  if (d.errors.length > 0) throw new RuleFormatError(d.errors);
  const errs = validateRuleGroup(group, positionsOf(d, ruleNodes));
  if (errs.length > 0) throw new RuleFormatError(errs);
  return group;
}

/** Parses and validates a rule file (`groups: [...]`), as `promtool check rules` does. */
export function parseRuleFile(text: string): RuleGroupSpec[] {
  const d = new Decoder(text);
  const root = d.document();
  if (d.errors.length > 0) throw new RuleFormatError(d.errors);
  if (root === null || root === undefined) return [];
  const f = d.fields(root, 'rulefmt.RuleGroups', new Set(['groups']), (msg, at) => `${where(at)}${msg}`);
  const groupsNode = f.get('groups')?.value;
  const groups: RuleGroupSpec[] = [];
  const errs: string[] = [];
  if (isSeq(groupsNode)) {
    const seen = new Set<string>();
    for (const gn of groupsNode.items as YamlNode[]) {
      const { group, ruleNodes } = decodeGroup(d, gn);
      const at = where(d.at(gn));
      if (group.name === '') errs.push(`${at}Groupname must not be empty`);
      if (seen.has(group.name)) errs.push(`${at}groupname: "${group.name}" is repeated in the same file`);
      seen.add(group.name);
      errs.push(...groupLabelErrors(group));
      const positions = positionsOf(d, ruleNodes);
      group.rules.forEach((r, i) => errs.push(...validateRule(group.name, i, r, (field) => positions[i]?.get(field) ?? '')));
      groups.push(group);
    }
  } else if (groupsNode && !(isScalar(groupsNode) && groupsNode.value === null)) {
    d.errors.push(`${where(d.at(groupsNode))}cannot unmarshal ${tagOf(groupsNode)} into []rulefmt.RuleGroup`);
  }
  if (d.errors.length > 0 || errs.length > 0) throw new RuleFormatError([...d.errors, ...errs]);
  return groups;
}
