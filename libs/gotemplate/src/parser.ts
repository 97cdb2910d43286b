import { KEYWORDS, TemplateSyntaxError, type Token, lex, unquote } from './lexer';

/**
 * The parser of Go's text/template (text/template/parse): the same node kinds, scoping of
 * variables, `else if` / `else with` chains, `define`/`block`/`template`, and the parse-time
 * checks Go makes (unknown functions, undefined variables, `{{break}}` outside `{{range}}`).
 */

export type ArgNode =
  | { kind: 'identifier'; pos: number; name: string }
  | { kind: 'field'; pos: number; idents: string[] }
  | { kind: 'variable'; pos: number; idents: string[] }
  | { kind: 'chain'; pos: number; node: ArgNode; fields: string[] }
  | { kind: 'dot'; pos: number }
  | { kind: 'nil'; pos: number }
  | { kind: 'bool'; pos: number; value: boolean }
  | { kind: 'number'; pos: number; text: string; isInt: boolean; value: number }
  | { kind: 'string'; pos: number; quoted: string; text: string }
  | PipeNode;

export interface CommandNode {
  kind: 'command';
  pos: number;
  args: ArgNode[];
}

export interface PipeNode {
  kind: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: string[];
  cmds: CommandNode[];
}

export type Node =
  | { kind: 'text'; pos: number; text: string }
  | { kind: 'action'; pos: number; pipe: PipeNode }
  | { kind: 'if' | 'with' | 'range'; pos: number; pipe: PipeNode; list: Node[]; elseList: Node[] | undefined }
  | { kind: 'template'; pos: number; name: string; pipe: PipeNode | undefined }
  | { kind: 'break' | 'continue'; pos: number };

type Terminal = { kind: 'end' | 'else'; pos: number };

export interface ParsedTemplate {
  name: string;
  source: string;
  root: Node[];
  /** Templates named by `define` and `block`. */
  defined: Map<string, Node[]>;
  /**
   * Where definitions parsed from another source come from (a template set: see
   * `addParseTree`); absent for those parsed from `source`.
   */
  definedIn?: Map<string, { name: string; source: string }>;
}

/** Parses `src`; throws TemplateSyntaxError. `hasFunction` says which identifiers are functions. */
export function parseTemplate(name: string, src: string, hasFunction: (name: string) => boolean): ParsedTemplate {
  return new Parser(name, src, lex(src), hasFunction).parse();
}

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private readonly defined = new Map<string, Node[]>();

  constructor(
    private readonly name: string,
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly hasFunction: (name: string) => boolean,
  ) {}

  parse(): ParsedTemplate {
    const root: Node[] = [];
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const save = this.i;
        this.next();
        const t = this.nextNonSpace();
        if (t.type === 'keyword' && t.value === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.fail(`unexpected {{${n.kind}}}`);
      root.push(n as Node);
    }
    return { name: this.name, source: this.src, root, defined: this.defined };
  }

  private fail(msg: string, token: Token = this.tokens[Math.max(0, this.i - 1)]): never {
    throw new TemplateSyntaxError(msg, token.line);
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (t.type !== 'eof') this.i++;
    return t;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    if (t.type !== 'eof') this.i--;
    return t;
  }

  private expect(type: Token['type'], context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Token, context: string): never {
    if (t.type === 'eof') this.fail('unexpected EOF', t);
    const shown = t.type === 'rightDelim' ? `"}}"` : t.type === 'rightParen' ? `")"` : t.type === 'string' || t.type === 'rawString' ? t.value : `<${t.value}>`;
    this.fail(`unexpected ${shown} in ${context}`, t);
  }

  private parseDefinition(): void {
    const nameTok = this.nextNonSpace();
    const name = this.templateName(nameTok, 'define clause');
    this.expect('rightDelim', 'define clause');
    const outer = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = outer;
    if (end.kind !== 'end') this.fail('unexpected {{else}} in define clause');
    this.defined.set(name, list);
  }

  private templateName(t: Token, context: string): string {
    if (t.type !== 'string' && t.type !== 'rawString') this.unexpected(t, context);
    const s = unquote(t.value);
    if (s === undefined) this.fail('invalid syntax', t);
    return s;
  }

  private itemList(): [Node[], Terminal] {
    const list: Node[] = [];
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n as Terminal];
      list.push(n as Node);
    }
    this.fail('unexpected EOF', this.peek());
  }

  private textOrAction(): Node | Terminal {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { kind: 'text', pos: t.pos, text: t.value };
    if (t.type === 'leftDelim') return this.action();
    this.unexpected(t, 'input');
  }

  private action(): Node | Terminal {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.value) {
        case 'if':
        case 'with':
        case 'range':
          return this.control(t.value, t.pos);
        case 'else': {
          const p = this.peekNonSpace();
          if (p.type === 'keyword' && (p.value === 'if' || p.value === 'with')) return { kind: 'else', pos: t.pos };
          this.expect('rightDelim', 'else');
          return { kind: 'else', pos: t.pos };
        }
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', pos: t.pos };
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.fail(`{{${t.value}}} outside {{range}}`);
          this.expect('rightDelim', t.value);
          return { kind: t.value, pos: t.pos };
        case 'template':
        case 'block':
          return this.templateControl(t.value);
        default:
          this.unexpected(t, 'command');
      }
    }
    this.i--;
    return { kind: 'action', pos: t.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private control(context: 'if' | 'with' | 'range', pos: number): Node {
    const mark = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const [list, end] = this.itemList();
    let next = end;
    if (context === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (next.kind === 'else') {
      const p = this.peek();
      if ((context === 'if' || context === 'with') && p.type === 'keyword' && p.value === context) {
        this.next();
        elseList = [this.control(context, p.pos)];
      } else {
        [elseList, next] = this.itemList();
        if (next.kind !== 'end') this.fail('expected end; found {{else}}');
      }
    }
    this.vars.length = mark;
    return { kind: context, pos, pipe, list, elseList };
  }

  private templateControl(keyword: string): Node {
    const context = `${keyword} clause`;
    const nameTok = this.nextNonSpace();
    const pos = nameTok.pos;
    const name = this.templateName(nameTok, context);
    let pipe: PipeNode | undefined;
    if (this.peekNonSpace().type !== 'rightDelim') pipe = this.pipeline(context, 'rightDelim');
    else this.nextNonSpace();
    if (keyword === 'block') {
      const outer = this.vars;
      this.vars = ['$'];
      const [list, end] = this.itemList();
      this.vars = outer;
      if (end.kind !== 'end') this.fail('unexpected {{else}} in block clause');
      this.defined.set(name, list);
    }
    return { kind: 'template', pos, name, pipe };
  }

  /** A pipeline up to `end` (consumed): optional declaration, then commands joined by `|`. */
  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: first.pos, isAssign: false, decl: [], cmds: [] };
    decls: while (this.peekNonSpace().type === 'variable') {
      const save = this.i;
      const v = this.nextNonSpace();
      const after = this.peekNonSpace();
      if (after.type === 'declare' || after.type === 'assign') {
        this.nextNonSpace();
        pipe.isAssign = after.type === 'assign';
        if (pipe.isAssign && !this.vars.includes(v.value)) this.fail(`undefined variable "${v.value}"`, v);
        pipe.decl.push(v.value);
        if (!pipe.isAssign) this.vars.push(v.value);
        break decls;
      }
      if (after.type === 'comma' && context === 'range' && pipe.decl.length < 2) {
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        if (this.peekNonSpace().type !== 'variable') this.fail('range can only initialize variables');
        continue;
      }
      this.i = save;
      break;
    }
    if (pipe.decl.length === 2 && context === 'range' && this.tokens[this.i - 1].type !== 'declare' && this.tokens[this.i - 1].type !== 'assign') {
      this.fail('range can only initialize variables');
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`);
        for (let i = 1; i < pipe.cmds.length; i++) {
          const k = pipe.cmds[i].args[0].kind;
          if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') this.fail(`non executable command in pipeline stage ${i + 1}`);
        }
        return pipe;
      }
      switch (t.type) {
        case 'bool':
        case 'char':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.i--;
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.i--;
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type !== 'field') return node;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().value.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', pos: node.pos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { kind: 'variable', pos: node.pos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.fail(`unexpected . after term "${nodeString(node)}"`);
      // eslint-disable-next-line no-fallthrough -- fail never returns
      default:
        return { kind: 'chain', pos: node.pos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunction(t.value)) this.fail(`function "${t.value}" not defined`, t);
        return { kind: 'identifier', pos: t.pos, name: t.value };
      case 'dot':
        return { kind: 'dot', pos: t.pos };
      case 'nil':
        return { kind: 'nil', pos: t.pos };
      case 'variable':
        if (!this.vars.includes(t.value)) this.fail(`undefined variable "${t.value}"`, t);
        return { kind: 'variable', pos: t.pos, idents: [t.value] };
      case 'field':
        return { kind: 'field', pos: t.pos, idents: [t.value.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos: t.pos, value: t.value === 'true' };
      case 'char': {
        const s = unquote(t.value);
        if (s === undefined) this.fail(`malformed character constant: ${t.value}`, t);
        return { kind: 'number', pos: t.pos, text: t.value, isInt: true, value: s.codePointAt(0)! };
      }
      case 'number':
        return this.number(t);
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString': {
        const s = unquote(t.value);
        if (s === undefined) this.fail('invalid syntax', t);
        return { kind: 'string', pos: t.pos, quoted: t.value, text: s };
      }
      default:
        this.i--;
        return undefined;
    }
  }

  private number(t: Token): ArgNode {
    const text = t.value.replace(/_/g, '');
    if (text.endsWith('i')) this.fail(`complex numbers are not supported: ${t.value}`, t);
    const sign = text.startsWith('-') ? -1 : 1;
    const body = text.replace(/^[+-]/, '');
    let isInt = false;
    let value: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(body)) [isInt, value] = [true, parseInt(body.slice(2), 16)];
    else if (/^0[oO][0-7]+$/.test(body)) [isInt, value] = [true, parseInt(body.slice(2), 8)];
    else if (/^0[bB][01]+$/.test(body)) [isInt, value] = [true, parseInt(body.slice(2), 2)];
    else if (/^0[0-7]+$/.test(body)) [isInt, value] = [true, parseInt(body.slice(1), 8)];
    else if (/^[0-9]+$/.test(body)) [isInt, value] = [true, Number(body)];
    else if (/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(body)) value = Number(body);
    else this.fail(`illegal number syntax: "${t.value}"`, t);
    // Go's parser keeps an integer-valued float constant as an int too (1e3 → 1000).
    if (!isInt && Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) isInt = true;
    return { kind: 'number', pos: t.pos, text: t.value, isInt, value: sign * value };
  }
}

/** Go's `Node.String()` of an argument or pipeline, for error contexts. */
export function nodeString(n: ArgNode | CommandNode): string {
  switch (n.kind) {
    case 'identifier':
      return n.name;
    case 'field':
      return n.idents.map((i) => `.${i}`).join('');
    case 'variable':
      return n.idents.join('.');
    case 'chain':
      return `${n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)}${n.fields.map((f) => `.${f}`).join('')}`;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map((c) => nodeString(c)).join(' | ');
    }
  }
}

export { KEYWORDS, TemplateSyntaxError };
