import { BUILTINS } from './builtins';
import { executeTemplate } from './exec';
import { parseTemplate } from './parser';
import { GoHTML, GoInt, GoMap, type GoValue } from './values';

/**
 * html/template's contextual escaping. Expected outputs are Go 1.19's html/template (the ones
 * marked "Alertmanager" were rendered by Alertmanager 0.25 through Telegram's HTML mode).
 */
const funcs = new Map([...BUILTINS, ['safe', { params: ['string' as const], call: ([s]: GoValue[]) => new GoHTML(s as string) }]]);
const has = (n: string): boolean => funcs.has(n);
const S = 's & <x> "q" \'a b+c';

async function html(text: string, data: GoValue = GoMap.ofStrings({ s: S, url: 'http://h/p a?q=ä&r=<>#f', js: 'javascript:alert(1)' })): Promise<string> {
  return executeTemplate(parseTemplate('t', text, has), data, funcs, undefined, { html: true });
}

describe('HTML mode (html/template escaping)', () => {
  it.each([
    { name: 'text', text: '<b>{{ .s }}</b>', out: '<b>s &amp; &lt;x&gt; &#34;q&#34; &#39;a b&#43;c</b>' },
    { name: 'a URL attribute (Alertmanager)', text: '<a href="{{ .url }}">x</a>', out: '<a href="http://h/p%20a?q=%c3%a4&amp;r=%3c%3e#f">x</a>' },
    { name: 'an unsafe URL scheme (Alertmanager)', text: '<a href="{{ .js }}">y</a>', out: '<a href="#ZgotmplZ">y</a>' },
    { name: 'a URL query part (Alertmanager)', text: "<a href='/q?x={{ .s }}'>z</a>", out: "<a href='/q?x=s%20%26%20%3cx%3e%20%22q%22%20%27a%20b%2bc'>z</a>" },
    { name: 'an unquoted attribute (Alertmanager)', text: '<img title={{ .s }}>', out: '<img title=s&#32;&amp;&#32;&lt;x&gt;&#32;&#34;q&#34;&#32;&#39;a&#32;b&#43;c>' },
    { name: 'safe HTML in text and in an attribute (Alertmanager)', text: '{{ safe "<i>s</i>" }} <p title="{{ safe "<i>s</i>" }}">p</p>', out: '<i>s</i> <p title="s">p</p>' },
    { name: 'a script value and string (Alertmanager)', text: "<script>var x = {{ .s }}; var y = '{{ .s }}'; var n = {{ 1 }};</script>", out: '<script>var x = "s \\u0026 \\u003cx\\u003e \\"q\\" \'a b+c"; var y = \'s \\u0026 \\u003cx\\u003e \\u0022q\\u0022 \\u0027a b\\u002bc\'; var n =  1 ;</script>' },
    { name: 'a CSS value, safe and unsafe', text: '<style>p { color: {{ "red" }}; x: {{ "a;b" }} }</style>', out: '<style>p { color: red; x: ZgotmplZ }</style>' },
    { name: 'an event handler attribute (Alertmanager)', text: '<a onclick="f({{ "x" }})">c</a>', out: '<a onclick="f(&#34;x&#34;)">c</a>' },
    { name: 'RCDATA elements', text: '<title>{{ "<" }}</title><textarea>{{ "&" }}</textarea>', out: '<title>&lt;</title><textarea>&amp;</textarea>' },
    { name: 'comments removed with what they hold (Alertmanager)', text: 'a<!-- {{ .s }} -->b', out: 'ab' },
    { name: 'non-string values', text: '{{ 3 }} {{ true }} {{ .missing }}', out: '3 true ' },
    { name: 'a urlquery pipeline in a query is not escaped twice', text: '<a href="/x?r={{ "a b/c" | urlquery }}">', out: '<a href="/x?r=a&#43;b%2Fc">' },
    { name: 'the html builtin in text is not escaped twice', text: '{{ "<" | html }}', out: '&lt;' },
  ])('escapes $name', async ({ text, out }) => {
    expect(await html(text)).toBe(out);
  });

  it('keeps the context across a called template', async () => {
    expect(await html('{{ define "u" }}{{ .url }}{{ end }}<a href="{{ template "u" . }}">{{ template "u" . }}</a>')).toBe(
      '<a href="http://h/p%20a?q=%c3%a4&amp;r=%3c%3e#f">http://h/p a?q=ä&amp;r=&lt;&gt;#f</a>',
    );
  });

  it('leaves text mode untouched', async () => {
    const out = await executeTemplate(parseTemplate('t', '<b>{{ .s }}</b><!-- c -->{{ .n }}', has), GoMap.ofStrings({ s: S }), funcs);
    expect(out).toBe(`<b>${S}</b><!-- c -->`);
  });

  it('prints ints as numbers in script', async () => {
    expect(await html('<script>f({{ . }})</script>', new GoInt(42))).toBe('<script>f( 42 )</script>');
  });
});
