import { HtmlEscaper } from './html-escape';
import { type ArgNode, type CommandNode, type Node, type ParsedTemplate, type PipeNode, nodeString } from './parser';
import { GoInt, GoMap, GoSlice, GoStruct, GoTime, type GoValue, formatGoTime, formatGoTimeLayout, formatValue, isTrue, methodOf, typeName } from './values';

/**
 * Execution of a parsed template with Go's text/template semantics and error texts
 * (`template: NAME:LINE:COL: executing "NAME" at <node>: …`). Runs with `missingkey=zero`, as
 * Prometheus does. Functions may be async (the `query` function runs PromQL), so execution is.
 */

/** The Go types a function declares for its parameters; arguments are checked against them. */
export type ParamType = 'any' | 'string' | 'float64' | 'int' | 'bool' | 'queryResult' | 'sample' | '[]string';

const PARAM_TYPE_NAMES: Record<ParamType, string> = {
  any: 'interface {}',
  string: 'string',
  float64: 'float64',
  int: 'int',
  bool: 'bool',
  queryResult: 'template.queryResult',
  sample: '*template.sample',
  '[]string': '[]string',
};

export interface TemplateFunc {
  params: ParamType[];
  /** The type of further arguments, for variadic functions. */
  variadic?: ParamType;
  /** `and` / `or`: arguments are evaluated one at a time until the result is known. */
  shortCircuit?: 'and' | 'or';
  /** Returns the result or throws; the error becomes `error calling NAME: <message>`. */
  call(args: GoValue[]): GoValue | Promise<GoValue>;
}

export type FuncMap = ReadonlyMap<string, TemplateFunc>;

export class TemplateExecError extends Error {}

const MISSING = Symbol('missing');
type Maybe = GoValue | typeof MISSING;
type AnyNode = Node | ArgNode | CommandNode;

class Break {}
class Continue {}

const MAX_DEPTH = 10_000;
const MAX_OUTPUT = 1 << 20;

export interface ExecuteOptions {
  /**
   * Escape as Go's html/template does (contextual autoescaping, HTML comments removed) instead
   * of writing values as they are (text/template).
   */
  html?: boolean;
}

export async function executeTemplate(tmpl: ParsedTemplate, data: GoValue, funcs: FuncMap, signal?: AbortSignal, options: ExecuteOptions = {}): Promise<string> {
  const state = new State(tmpl, funcs, tmpl.name, signal, options.html ? new HtmlEscaper() : undefined);
  state.vars.push({ name: '$', value: data });
  await state.walkList(data, tmpl.root);
  return state.out.join('');
}

class State {
  out: string[] = [];
  outLen = 0;
  vars: { name: string; value: GoValue }[] = [];
  node: AnyNode | undefined;
  depth = 0;

  constructor(
    private readonly tmpl: ParsedTemplate,
    private readonly funcs: FuncMap,
    private readonly name: string,
    private readonly signal: AbortSignal | undefined,
    private readonly html: HtmlEscaper | undefined,
  ) {}

  private fail(msg: string): never {
    if (!this.node) throw new TemplateExecError(`template: ${this.name}: ${msg}`);
    const src = this.tmpl.source.slice(0, this.node.pos);
    const nl = src.lastIndexOf('\n');
    const line = 1 + (src.match(/\n/g)?.length ?? 0);
    const col = Buffer.byteLength(nl < 0 ? src : src.slice(nl + 1), 'utf8');
    let context = contextOf(this.node);
    if (context.length > 20) context = `${context.slice(0, 20)}...`;
    throw new TemplateExecError(`template: ${this.tmpl.name}:${line}:${col}: executing "${this.name}" at <${context}>: ${msg}`);
  }

  private at(node: AnyNode): void {
    this.node = node;
  }

  async walkList(dot: GoValue, list: readonly Node[]): Promise<void> {
    for (const n of list) await this.walk(dot, n);
  }

  private async walk(dot: GoValue, node: Node): Promise<void> {
    this.at(node);
    if (this.signal?.aborted) throw this.signal.reason;
    switch (node.kind) {
      case 'text':
        this.write(this.html ? this.html.text(node.text) : node.text);
        return;
      case 'action': {
        const v = await this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          this.at(node);
          this.write(this.html ? this.html.value(v, lastFunction(node.pipe)) : printable(v));
        }
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = await this.evalPipeline(dot, node.pipe);
        if (isTrue(v)) await this.walkList(node.kind === 'with' ? v : dot, node.list);
        else if (node.elseList) await this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        return this.walkRange(dot, node);
      case 'template': {
        const list = this.tmpl.defined.get(node.name);
        if (!list) this.fail(`template "${node.name}" not defined`);
        const newDot = node.pipe ? await this.evalPipeline(dot, node.pipe) : null;
        if (this.depth >= MAX_DEPTH) this.fail(`exceeded maximum template depth (${MAX_DEPTH})`);
        // A definition from another parse (a template set) reports errors at its own source.
        const origin = this.tmpl.definedIn?.get(node.name);
        const tmpl = origin ? { ...this.tmpl, name: origin.name, source: origin.source } : this.tmpl;
        const inner = new State(tmpl, this.funcs, node.name, this.signal, this.html);
        inner.depth = this.depth + 1;
        inner.vars.push({ name: '$', value: newDot });
        await inner.walkList(newDot, list);
        this.write(inner.out.join(''));
        return;
      }
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private async walkRange(dot: GoValue, r: Extract<Node, { kind: 'if' | 'with' | 'range' }>): Promise<void> {
    const outer = this.vars.length;
    const val = await this.evalPipeline(dot, r.pipe);
    const mark = this.vars.length;
    const decl = r.pipe.decl;
    const iterate = async (index: GoValue, elem: GoValue): Promise<boolean> => {
      if (decl.length > 0) {
        if (r.pipe.isAssign) this.setVar(decl[0], decl.length > 1 ? index : elem);
        else this.vars[this.vars.length - 1].value = elem;
      }
      if (decl.length > 1) {
        if (r.pipe.isAssign) this.setVar(decl[1], elem);
        else this.vars[this.vars.length - 2].value = index;
      }
      try {
        await this.walkList(elem, r.list);
      } catch (e) {
        if (e instanceof Break) return false;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = mark;
      }
      return true;
    };
    let count = 0;
    if (val instanceof GoSlice) {
      for (let i = 0; i < val.items.length; i++, count++) if (!(await iterate(new GoInt(i), val.items[i]))) break;
    } else if (val instanceof GoMap) {
      for (const k of val.sortedKeys()) {
        count++;
        if (!(await iterate(k, val.entries.get(k)!))) break;
      }
    } else if (val instanceof GoInt) {
      if (decl.length > 1) this.fail(`can't use ${val.value} to iterate over more than one variable`);
      for (let i = 0; i < val.value; i++, count++) if (!(await iterate(new GoInt(i), new GoInt(i)))) break;
    } else if (val !== null) {
      this.fail(`range can't iterate over ${formatValue(val)}`);
    }
    if (count === 0 && r.elseList) await this.walkList(dot, r.elseList);
    this.vars.length = outer;
  }

  private write(s: string): void {
    this.outLen += s.length;
    if (this.outLen > MAX_OUTPUT) this.fail(`template output exceeds ${MAX_OUTPUT} bytes`);
    this.out.push(s);
  }

  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.fail(`undefined variable: ${name}`);
  }

  private async evalPipeline(dot: GoValue, pipe: PipeNode): Promise<GoValue> {
    this.at(pipe);
    let value: Maybe = MISSING;
    for (const cmd of pipe.cmds) value = await this.evalCommand(dot, cmd, value);
    const v = value === MISSING ? null : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, v);
      else this.vars.push({ name, value: v });
    }
    return v;
  }

  private async evalCommand(dot: GoValue, cmd: CommandNode, final: Maybe): Promise<GoValue> {
    const first = cmd.args[0];
    switch (first.kind) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, dot, first.idents, cmd.args, final);
      case 'chain': {
        this.at(first);
        if (first.node.kind === 'nil') this.fail(`indirection through explicit nil in ${nodeString(first)}`);
        const receiver = await this.evalArg(dot, 'any', first.node);
        return this.evalFieldChain(dot, receiver, first.fields, cmd.args, final);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.fail('nil is not a command');
      // eslint-disable-next-line no-fallthrough -- fail never returns
      case 'number':
        return idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  private notAFunction(args: readonly ArgNode[], final: Maybe): void {
    if (args.length > 1 || final !== MISSING) this.fail(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  private async evalVariable(dot: GoValue, v: Extract<ArgNode, { kind: 'variable' }>, args: readonly ArgNode[], final: Maybe): Promise<GoValue> {
    this.at(v);
    const value = this.varValue(v.idents[0]);
    if (v.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v.idents.slice(1), args, final);
  }

  private async evalFieldChain(dot: GoValue, receiver: GoValue, idents: readonly string[], args: readonly ArgNode[], final: Maybe): Promise<GoValue> {
    for (let i = 0; i < idents.length - 1; i++) receiver = await this.evalField(dot, idents[i], [], MISSING, receiver);
    return this.evalField(dot, idents[idents.length - 1], args, final, receiver);
  }

  private async evalField(dot: GoValue, field: string, args: readonly ArgNode[], final: Maybe, receiver: GoValue): Promise<GoValue> {
    if (receiver === null) return null;
    const hasArgs = args.length > 1 || final !== MISSING;
    // Go looks a method up before a struct field or a map key of the same name.
    const method = methodOf(receiver, field);
    if (method) return this.evalCall(dot, { params: method.params, variadic: method.variadic, call: (a) => method.call(receiver, a) }, field, args, final);
    if (receiver instanceof GoTime && field in TIME_METHODS) {
      const method = TIME_METHODS[field];
      return this.evalCall(dot, { params: method.params, call: (a) => method.call(receiver, a) }, field, args, final);
    }
    if (receiver instanceof GoStruct && receiver.fields.has(field)) {
      if (hasArgs) this.fail(`${field} has arguments but cannot be invoked as function`);
      return receiver.fields.get(field)!;
    }
    if (receiver instanceof GoMap) {
      if (hasArgs) this.fail(`${field} is not a method but has arguments`);
      return receiver.entries.has(field) ? receiver.entries.get(field)! : receiver.zero;
    }
    this.fail(`can't evaluate field ${field} in type ${typeName(receiver)}`);
  }

  /** Calls a function; errors it returns are reported at `cmd`, the whole command, as Go does. */
  private async evalFunction(dot: GoValue, ident: Extract<ArgNode, { kind: 'identifier' }>, cmd: AnyNode, args: readonly ArgNode[], final: Maybe): Promise<GoValue> {
    this.at(ident);
    const fn = this.funcs.get(ident.name);
    if (!fn) this.fail(`"${ident.name}" is not a defined function`);
    return this.evalCall(dot, fn, ident.name, args, final, cmd);
  }

  private async evalCall(dot: GoValue, fn: TemplateFunc, name: string, args: readonly ArgNode[], final: Maybe, node = this.node): Promise<GoValue> {
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    const fixed = fn.params.length;
    if (fn.variadic !== undefined ? numIn < fixed : numIn !== fixed) {
      this.fail(`wrong number of args for ${name}: want ${fn.variadic !== undefined ? 'at least ' : ''}${fixed} got ${numIn}`);
    }
    const typeAt = (i: number): ParamType => (i < fixed ? fn.params[i] : fn.variadic!);
    if (fn.shortCircuit) {
      let v: GoValue = null;
      for (const a of argNodes) {
        v = await this.evalArg(dot, 'any', a);
        if (isTrue(v) === (fn.shortCircuit === 'or')) return v;
      }
      return final !== MISSING ? final : v;
    }
    const values: GoValue[] = [];
    for (let i = 0; i < argNodes.length; i++) values.push(await this.evalArg(dot, typeAt(i), argNodes[i]));
    if (final !== MISSING) values.push(this.validateType(final, typeAt(argNodes.length)));
    try {
      return await fn.call(values);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      if (node) this.at(node);
      this.fail(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async evalArg(dot: GoValue, type: ParamType, n: ArgNode): Promise<GoValue> {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        if (type === 'any' || type === 'sample') return null;
        this.fail(`cannot assign nil to ${PARAM_TYPE_NAMES[type]}`);
      // eslint-disable-next-line no-fallthrough -- fail never returns
      case 'field':
        return this.validateType(await this.evalFieldChain(dot, dot, n.idents, [n], MISSING), type);
      case 'variable':
        return this.validateType(await this.evalVariable(dot, n, [n], MISSING), type);
      case 'pipe':
        return this.validateType(await this.evalPipeline(dot, n), type);
      case 'identifier':
        return this.validateType(await this.evalFunction(dot, n, n, [n], MISSING), type);
      case 'chain':
        return this.validateType(await this.evalCommand(dot, { kind: 'command', pos: n.pos, args: [n] }, MISSING), type);
    }
    switch (type) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        this.fail(`expected bool; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough -- fail never returns
      case 'float64':
        if (n.kind === 'number') return n.value;
        this.fail(`expected float; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough -- fail never returns
      case 'int':
        if (n.kind === 'number' && n.isInt) return new GoInt(n.value);
        this.fail(`expected integer; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough -- fail never returns
      case 'string':
        if (n.kind === 'string') return n.text;
        this.fail(`expected string; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough -- fail never returns
      case 'any':
        return n.kind === 'bool' ? n.value : n.kind === 'number' ? idealConstant(n) : n.text;
      default:
        this.fail(`can't handle ${nodeString(n)} for arg of type ${PARAM_TYPE_NAMES[type]}`);
    }
  }

  private validateType(v: GoValue, type: ParamType): GoValue {
    if (type === 'any') return v;
    if (v === null) {
      if (type === 'sample') return null;
      this.fail(`invalid value; expected ${PARAM_TYPE_NAMES[type]}`);
    }
    const ok =
      (type === 'string' && typeof v === 'string') ||
      (type === 'float64' && typeof v === 'number') ||
      (type === 'int' && v instanceof GoInt) ||
      (type === 'bool' && typeof v === 'boolean') ||
      (type === 'queryResult' && v instanceof GoSlice && v.typeName === 'template.queryResult') ||
      (type === 'sample' && v instanceof GoStruct && v.typeName === '*template.sample') ||
      (type === '[]string' && v instanceof GoSlice && v.typeName === '[]string');
    if (!ok) this.fail(`wrong type for value; expected ${PARAM_TYPE_NAMES[type]}; got ${typeName(v)}`);
    return v;
  }
}

/** A number constant given to an untyped parameter: float64 when written with a point or exponent. */
function idealConstant(n: Extract<ArgNode, { kind: 'number' }>): GoValue {
  const hexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
  if (!hexInt && !n.text.startsWith("'") && /[.eEpP]/.test(n.text)) return n.value;
  return n.isInt ? new GoInt(n.value) : n.value;
}

/** The function an action's pipeline ends with, when it is an escaper html/template recognises. */
function lastFunction(pipe: PipeNode): string | undefined {
  const last = pipe.cmds[pipe.cmds.length - 1]?.args[0];
  return last?.kind === 'identifier' && (last.name === 'html' || last.name === 'urlquery') ? last.name : undefined;
}

/** What `{{ x }}` prints: pointers are followed, nil is `<no value>`. */
function printable(v: GoValue): string {
  if (v === null) return '<no value>';
  if (v instanceof GoStruct && v.pointer) return formatValue(new GoStruct(v.typeName, v.fields, false));
  return formatValue(v);
}

function contextOf(n: AnyNode): string {
  switch (n.kind) {
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'with':
    case 'range':
      return `{{${n.kind} ${nodeString(n.pipe)}}}`;
    case 'template':
      return `{{template "${n.name}"${n.pipe ? ` ${nodeString(n.pipe)}` : ''}}}`;
    case 'break':
    case 'continue':
      return `{{${n.kind}}}`;
    default:
      return nodeString(n);
  }
}

/** The methods of `*time.Time` templates call (`(toTime $v).Unix`, `.Format "15:04"`). */
const TIME_METHODS: Record<string, { params: ParamType[]; call: (t: GoTime, args: GoValue[]) => GoValue }> = {
  Unix: { params: [], call: (t) => new GoInt(Math.floor(t.unixMs / 1000)) },
  UnixMilli: { params: [], call: (t) => new GoInt(t.unixMs) },
  UTC: { params: [], call: (t) => t },
  Local: { params: [], call: (t) => t },
  String: { params: [], call: (t) => formatGoTime(t.unixMs) },
  Format: { params: ['string'], call: (t, [layout]) => formatGoTimeLayout(t.unixMs, layout as string) },
  Year: { params: [], call: (t) => new GoInt(new Date(t.unixMs).getUTCFullYear()) },
  YearDay: { params: [], call: (t) => new GoInt(Number(formatGoTimeLayout(t.unixMs, '002'))) },
  Day: { params: [], call: (t) => new GoInt(new Date(t.unixMs).getUTCDate()) },
  Hour: { params: [], call: (t) => new GoInt(new Date(t.unixMs).getUTCHours()) },
  Minute: { params: [], call: (t) => new GoInt(new Date(t.unixMs).getUTCMinutes()) },
  Second: { params: [], call: (t) => new GoInt(new Date(t.unixMs).getUTCSeconds()) },
};
