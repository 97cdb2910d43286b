import { BUILTINS } from './builtins';
import { executeTemplate } from './exec';
import { parseTemplate } from './parser';
import { addParseTree } from './template-set';
import { GoMap, type GoMethod, GoSlice, GoStruct, type GoValue } from './values';

const funcs = new Map([...BUILTINS, ['names', { params: ['[]string' as const], call: ([s]: GoValue[]) => ((s as GoSlice).items as string[]).join('+') }]]);
const has = (n: string): boolean => funcs.has(n);

const strings = (xs: string[]): GoSlice => new GoSlice('[]string', xs);
const KV_METHODS = new Map<string, GoMethod>([
  ['Keys', { params: [], call: (m) => strings((m as GoMap).sortedKeys()) }],
  ['Without', { params: ['string'], call: (m, [k]) => kv(Object.fromEntries([...(m as GoMap).entries].filter(([x]) => x !== k)) as Record<string, string>) }],
  ['String', { params: [], call: (m) => (m as GoMap).sortedKeys().map((k) => `${k}=${String((m as GoMap).entries.get(k))}`).join(', ') }],
]);
const kv = (r: Record<string, string>): GoMap => new GoMap('test.KV', '', new Map<string, GoValue>(Object.entries(r)), KV_METHODS);

const data = new GoStruct('*test.Data', new Map<string, GoValue>([['Labels', kv({ b: '2', a: '1', Keys: 'shadowed' })], ['Plain', GoMap.ofStrings({ x: 'y' })]]), true);

async function run(text: string, value: GoValue = data): Promise<string> {
  return executeTemplate(parseTemplate('t', text, has), value, funcs);
}

describe('methods of named Go types', () => {
  it.each([
    { name: 'a method without arguments is called as a field', text: '{{ .Labels.Keys }}', out: '[Keys a b]' },
    { name: 'a method wins over a map key of the same name', text: '{{ index .Labels "Keys" }}/{{ len .Labels.Keys }}', out: 'shadowed/3' },
    { name: 'a method takes arguments after it', text: '{{ (.Labels.Without "a").Keys }}', out: '[Keys b]' },
    { name: 'a method takes the piped value as its last argument', text: '{{ "b" | .Labels.Without }}', out: 'Keys=shadowed, a=1' },
    { name: 'a String method is what fmt prints', text: '{{ .Labels }}|{{ printf "%v" .Labels }}', out: 'Keys=shadowed, a=1, b=2|Keys=shadowed, a=1, b=2' },
    { name: 'a map without methods prints as a Go map', text: '{{ .Plain }}', out: 'map[x:y]' },
    { name: 'a []string result goes to a []string parameter', text: '{{ names .Labels.Keys }}', out: 'Keys+a+b' },
  ])('$name', async ({ text, out }) => {
    expect(await run(text)).toBe(out);
  });

  it.each([
    { name: 'a method called with the wrong number of arguments', text: '{{ .Labels.Without }}', error: 'wrong number of args for Without: want 1 got 0' },
    { name: 'a []string parameter given a string', text: '{{ names "x" }}', error: 'can\'t handle "x" for arg of type []string' },
    { name: 'a field on a map without that key or method', text: '{{ .Plain.Keys.X }}', error: "can't evaluate field X in type string" },
  ])('fails for $name', async ({ text, error }) => {
    await expect(run(text)).rejects.toThrow(error);
  });
});

describe('addParseTree (template sets)', () => {
  const lib = parseTemplate('lib.tmpl', '{{ define "greet" }}hello {{ . }}{{ end }}{{ define "empty" }}kept{{ end }}{{ define "broken" }}\n{{ .Nope.X }}{{ end }}', has);

  it.each([
    { name: 'a template calls a definition from an earlier parse', text: '{{ template "greet" "you" }}', out: 'hello you' },
    { name: 'a later definition replaces an earlier one', text: '{{ define "greet" }}hi {{ . }}{{ end }}{{ template "greet" "you" }}', out: 'hi you' },
    { name: 'an empty later definition does not replace a non-empty one', text: '{{ define "empty" }} {{ end }}{{ template "empty" }}', out: 'kept' },
  ])('$name', async ({ text, out }) => {
    const tmpl = addParseTree(lib, parseTemplate('', text, has));
    expect(await executeTemplate(tmpl, null, funcs)).toBe(out);
  });

  it('reports an error inside a definition at the file that defined it', async () => {
    const tmpl = addParseTree(lib, parseTemplate('', 'x{{ template "broken" . }}', has));
    await expect(executeTemplate(tmpl, GoMap.ofStrings({}), funcs)).rejects.toThrow('template: lib.tmpl:2:3: executing "broken" at <.Nope.X>: can\'t evaluate field X in type string');
  });
});
