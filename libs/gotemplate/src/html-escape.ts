import { htmlEscape } from './builtins';
import { GoHTML, GoInt, GoMap, GoSlice, GoStruct, GoTime, type GoValue, formatValue } from './values';

/**
 * Go's html/template contextual autoescaping, decided while the output is written rather than
 * when the template is parsed: the text a template writes moves an HTML tokenizer (text, tag,
 * attribute, URL, JavaScript, CSS, RCDATA, comment), and each action's value is escaped for the
 * context the output is in when it is written. Escaped values never change the context, so for a
 * well-formed template this gives html/template's output. Covered: HTML text and RCDATA
 * (`<title>`, `<textarea>`), quoted and unquoted attribute values, URL attributes (scheme filter
 * `#ZgotmplZ`, normalizing before the query, escaping inside it), JavaScript in `<script>` and
 * `on*` attributes (values as JSON, strings inside quotes escaped), CSS values (`ZgotmplZ` for
 * anything unsafe); HTML comments are removed, as html/template does. Not covered: JS regexp and
 * template literals, CSS strings and `url(…)`, and the parse-time errors html/template gives for
 * ambiguous contexts (here the context at run time decides).
 */

type State = 'text' | 'rcdata' | 'script' | 'style' | 'comment' | 'tag' | 'attrName' | 'afterName' | 'beforeValue' | 'attr';
type AttrKind = 'normal' | 'url' | 'js' | 'css';
type UrlPart = 'none' | 'preQuery' | 'queryOrFrag';
type JsState = 'expr' | 'dq' | 'sq';

const URL_ATTRS = new Set([
  'action', 'archive', 'background', 'cite', 'classid', 'codebase', 'data', 'formaction', 'href', 'icon', 'longdesc', 'manifest',
  'poster', 'profile', 'src', 'usemap', 'xmlns',
]);

function attrKind(name: string): AttrKind {
  let n = name.toLowerCase();
  if (n.startsWith('data-')) n = n.slice(5);
  else if (n.includes(':')) {
    if (n.startsWith('xmlns:')) return 'url';
    n = n.slice(n.indexOf(':') + 1);
  }
  if (n === 'style') return 'css';
  if (URL_ATTRS.has(n)) return 'url';
  if (n.startsWith('on')) return 'js';
  if (n.includes('src') || n.includes('uri') || n.includes('url')) return 'url';
  return 'normal';
}

const NOSPACE: Record<string, string> = {
  '\0': '&#xfffd;', '\t': '&#9;', '\n': '&#10;', '\v': '&#11;', '\f': '&#12;', '\r': '&#13;', ' ': '&#32;', '"': '&#34;',
  '&': '&amp;', "'": '&#39;', '+': '&#43;', '<': '&lt;', '=': '&#61;', '>': '&gt;', '`': '&#96;',
};

/** html/template's escaper for unquoted attribute values. */
function htmlNospaceEscape(s: string): string {
  return s.replace(/[\0\t\n\v\f\r "&'+<=>`]/g, (c) => NOSPACE[c]);
}

/** html/template's htmlEscaper: `"`, `&`, `'`, `+`, `<`, `>` and NUL. */
export function htmlTemplateEscape(s: string): string {
  return htmlEscape(s).replace(/\+/g, '&#43;');
}

/** What is left of HTML once its tags are removed (html/template's stripTags, simplified). */
function stripTags(s: string): string {
  return s.replace(/<!--[\s\S]*?-->/g, '').replace(/<\/?[A-Za-z][^>]*>?/g, '');
}

/** html/template's urlProcessor: percent-encodes (lower-case hex) all but unreserved characters; normalizing keeps reserved ones and valid escapes. */
function urlProcess(s: string, normalize: boolean): string {
  let out = '';
  const bytes = Buffer.from(s, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c)) out += c;
    else if (normalize && /[!#$&*+,/:;=?@[\]]/.test(c)) out += c;
    else if (normalize && c === '%' && i + 2 < bytes.length && /^[0-9A-Fa-f]{2}$/.test(String.fromCharCode(bytes[i + 1], bytes[i + 2]))) out += c;
    else out += `%${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** html/template's urlFilter: URLs with a scheme other than http, https or mailto become `#ZgotmplZ`. */
function urlFilter(s: string): string {
  const colon = s.indexOf(':');
  if (colon >= 0 && !s.slice(0, colon).includes('/')) {
    const scheme = s.slice(0, colon).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https' && scheme !== 'mailto') return '#ZgotmplZ';
  }
  return s;
}

const JS_STR: Record<string, string> = {
  '\0': '\\u0000', '\t': '\\t', '\n': '\\n', '\v': '\\u000b', '\f': '\\f', '\r': '\\r', '"': '\\u0022', '&': '\\u0026',
  "'": '\\u0027', '+': '\\u002b', '/': '\\/', '<': '\\u003c', '>': '\\u003e', '\\': '\\\\',
};

/** html/template's jsStrEscaper, for values inside a JavaScript string literal. */
function jsStrEscape(s: string): string {
  return s.replace(/[\0\t\n\v\f\r"&'+/<>\\\u2028\u2029]/g, (c) => JS_STR[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goJson(v: GoValue): string {
  const plain = (x: GoValue): unknown => {
    if (x === null) return null;
    if (x instanceof GoInt) return x.value;
    if (x instanceof GoHTML) return x.value;
    if (x instanceof GoTime) return new Date(x.unixMs).toISOString().replace('.000Z', 'Z');
    if (x instanceof GoMap) return Object.fromEntries(x.sortedKeys().map((k) => [k, plain(x.entries.get(k)!)]));
    if (x instanceof GoSlice) return x.items.map(plain);
    if (x instanceof GoStruct) return Object.fromEntries([...x.fields].map(([k, f]) => [k, plain(f)]));
    return x;
  };
  return JSON.stringify(plain(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** html/template's jsValEscaper: the value as a JavaScript expression (JSON), padded where it could run into a keyword. */
function jsValEscape(v: GoValue): string {
  const s = goJson(v);
  if (s === '') return ' null ';
  const ident = /[A-Za-z0-9_$]/;
  return `${ident.test(s[0]) ? ' ' : ''}${s}${ident.test(s[s.length - 1]) ? ' ' : ''}`;
}

/** html/template's cssValueFilter: values that could leave a CSS value become `ZgotmplZ`. */
function cssValueFilter(s: string): string {
  const lower = s.toLowerCase();
  if (/[\0"'()/;@[\\\]`{}<>]/.test(s) || lower.includes('expression') || lower.includes('mozbinding') || s.includes('--')) return 'ZgotmplZ';
  return s;
}

/**
 * The escaping state of one execution in HTML mode; `text()` passes template text through (HTML
 * comments removed) and `value()` escapes an action's value for the current context.
 */
export class HtmlEscaper {
  private state: State = 'text';
  /** The element whose raw text (`script`, `style`, `title`, `textarea`) the output is in, or the tag being read. */
  private element = '';
  private endTag = false;
  private attrName = '';
  private kind: AttrKind = 'normal';
  private delim: '"' | "'" | ' ' = '"';
  private urlPart: UrlPart = 'none';
  private js: JsState = 'expr';

  /** Template text as written to the output (comments removed), advancing the context. */
  text(s: string): string {
    let out = '';
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      switch (this.state) {
        case 'comment': {
          const end = s.indexOf('-->', i);
          if (end < 0) return out;
          i = end + 3;
          this.state = 'text';
          continue;
        }
        case 'text': {
          if (s.startsWith('<!--', i)) {
            this.state = 'comment';
            i += 4;
            continue;
          }
          const tag = /^<(\/?)([A-Za-z][A-Za-z0-9:-]*)/.exec(s.slice(i, i + 64));
          if (tag) {
            this.endTag = tag[1] === '/';
            this.element = tag[2].toLowerCase();
            this.state = 'tag';
            out += tag[0];
            i += tag[0].length;
            continue;
          }
          break;
        }
        case 'rcdata':
        case 'script':
        case 'style': {
          const close = `</${this.element}`;
          if (s.slice(i, i + close.length).toLowerCase() === close) {
            this.state = 'tag';
            this.endTag = true;
            out += s.slice(i, i + close.length);
            i += close.length;
            continue;
          }
          if (this.state === 'script') this.jsChar(s, i);
          break;
        }
        case 'tag':
          if (c === '>') {
            this.state = this.endTag ? 'text' : this.contentState();
            this.js = 'expr';
          } else if (!/\s|\//.test(c)) {
            this.state = 'attrName';
            this.attrName = c;
          }
          break;
        case 'attrName':
          if (c === '=') this.state = 'beforeValue';
          else if (/\s/.test(c)) this.state = 'afterName';
          else if (c === '>') {
            this.state = 'tag';
            continue;
          } else this.attrName += c;
          break;
        case 'afterName':
          if (c === '=') this.state = 'beforeValue';
          else if (!/\s/.test(c)) {
            this.state = 'tag';
            continue;
          }
          break;
        case 'beforeValue':
          if (/\s/.test(c)) break;
          this.startValue(c === '"' || c === "'" ? c : ' ');
          if (c === '"' || c === "'") break;
          continue;
        case 'attr':
          if ((this.delim === ' ' && (/\s/.test(c) || c === '>')) || c === this.delim) {
            this.state = 'tag';
            if (c === '>') continue;
            break;
          }
          if (this.kind === 'url' && this.urlPart !== 'queryOrFrag') this.urlPart = c === '?' || c === '#' ? 'queryOrFrag' : 'preQuery';
          if (this.kind === 'js') this.jsChar(s, i);
          break;
      }
      out += c;
      i++;
    }
    return out;
  }

  /**
   * An action's value escaped for the current context. `escapedBy` names the last function of the
   * action's pipeline when it is `html` or `urlquery`, which html/template counts as the escaping
   * the context needs (so `{{ .Receiver | urlquery }}` in a query is not escaped twice).
   */
  value(v: GoValue, escapedBy?: string): string {
    // html/template skips untyped nil values instead of printing them.
    const s = v === null ? '' : v instanceof GoHTML ? v.value : formatValue(v);
    const html = v instanceof GoHTML;
    switch (this.state) {
      case 'comment':
        return '';
      case 'text':
        return html || escapedBy === 'html' ? s : htmlTemplateEscape(s);
      case 'rcdata':
        return htmlTemplateEscape(html ? stripTags(s) : s);
      case 'script':
        return this.js === 'expr' ? jsValEscape(v) : jsStrEscape(s);
      case 'style':
        return cssValueFilter(s);
      case 'tag':
      case 'attrName':
      case 'afterName':
        return /^[A-Za-z0-9-]+$/.test(s) && attrKind(s) === 'normal' ? s : 'ZgotmplZ';
      case 'beforeValue':
        this.startValue(' ');
        return this.attrValue(v, s, html, escapedBy);
      case 'attr':
        return this.attrValue(v, s, html, escapedBy);
    }
  }

  private attrValue(v: GoValue, s: string, html: boolean, escapedBy: string | undefined): string {
    let inner: string;
    switch (this.kind) {
      case 'url':
        if (this.urlPart === 'queryOrFrag') inner = escapedBy === 'urlquery' ? s : urlProcess(s, false);
        else inner = urlProcess(this.urlPart === 'none' ? urlFilter(s) : s, true);
        break;
      case 'js':
        inner = this.js === 'expr' ? jsValEscape(v) : jsStrEscape(s);
        break;
      case 'css':
        inner = cssValueFilter(s);
        break;
      default:
        inner = html ? stripTags(s) : s;
    }
    return this.delim === ' ' ? htmlNospaceEscape(inner) : htmlTemplateEscape(inner);
  }

  private startValue(delim: '"' | "'" | ' '): void {
    this.state = 'attr';
    this.delim = delim;
    this.kind = attrKind(this.attrName);
    this.urlPart = 'none';
    this.js = 'expr';
  }

  private contentState(): State {
    if (this.element === 'script') return 'script';
    if (this.element === 'style') return 'style';
    if (this.element === 'title' || this.element === 'textarea') return 'rcdata';
    return 'text';
  }

  /** Tracks JavaScript string literals (a backslash escapes the next character). */
  private jsChar(s: string, i: number): void {
    const c = s[i];
    if (this.js === 'expr') {
      if (c === '"') this.js = 'dq';
      else if (c === "'") this.js = 'sq';
      return;
    }
    if (c === (this.js === 'dq' ? '"' : "'") && s[i - 1] !== '\\') this.js = 'expr';
  }
}
