import { RawInt, RawKvList, RawValue, compareUtf8, formatFloatF, goJsonString, rawAsString } from './any-value';

// Expected strings are Go's: pcommon.Value.AsString() and strconv.FormatFloat(f, 'f', -1, 64).

describe('rawAsString (pcommon.Value.AsString)', () => {
  it.each<[string, RawValue, string]>([
    ['an empty value is the empty string', null, ''],
    ['a string is itself', 'GET', 'GET'],
    ['a bool is true/false', true, 'true'],
    ['an int keeps every digit', new RawInt('-9223372036854775808'), '-9223372036854775808'],
    ['a double uses the shortest form', 0.1, '0.1'],
    ['a whole double has no decimal point', 3, '3'],
    ['a tiny double uses an exponent without padding', 1.5e-7, '1.5e-7'],
    ['a huge double uses e+', 1e21, '1e+21'],
    ['a double just under 1e21 is written out', 1e20, '100000000000000000000'],
    ['negative zero keeps its sign', -0, '-0'],
    ['NaN is unsupported by JSON', NaN, 'json: unsupported value: NaN'],
    ['+Inf is unsupported by JSON', Infinity, 'json: unsupported value: +Inf'],
    ['bytes are standard base64', new Uint8Array([0xfb, 0xff, 0x00]), '+/8A'],
    ['an array is compact JSON', ['a', 1.5, true, null], '["a",1.5,true,null]'],
    ['a map has sorted keys, last duplicate wins', new RawKvList([['b', 'x'], ['a', new RawInt('1')], ['b', 'y']]), '{"a":1,"b":"y"}'],
    ['maps nest', new RawKvList([['m', new RawKvList([['k', [new RawInt('2')]]])]]), '{"m":{"k":[2]}}'],
    ['JSON escapes HTML characters as Go does', ['<a&b>'], '["\\u003ca\\u0026b\\u003e"]'],
    ['a NaN inside a map makes the whole value empty', new RawKvList([['x', NaN]]), ''],
    ['bytes inside an array are base64 strings', [new Uint8Array([1, 2])], '["AQI="]'],
  ])('%s', (_rule, v, expected) => {
    expect(rawAsString(v)).toBe(expected);
  });
});

describe('goJsonString', () => {
  it.each([
    ['quotes and backslashes', 'a"b\\c', '"a\\"b\\\\c"'],
    ['short escapes', '\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['other control characters', '\u0001\u001f', '"\\u0001\\u001f"'],
    ['line and paragraph separators', '\u2028\u2029', '"\\u2028\\u2029"'],
    ['a lone surrogate becomes U+FFFD', 'a\ud800b', '"a\\ufffdb"'],
    ['a surrogate pair is kept', '😀', '"😀"'],
    ['DEL is kept', '\u007f', '"\u007f"'],
  ])('%s', (_rule, s, expected) => {
    expect(goJsonString(s)).toBe(expected);
  });
});

describe('formatFloatF (le and quantile values)', () => {
  it.each<[number, string]>([
    [0.005, '0.005'],
    [1, '1'],
    [2.5, '2.5'],
    [1e-7, '0.0000001'],
    [1.25e-8, '0.0000000125'],
    [1e21, '1000000000000000000000'],
    [1.5e22, '15000000000000000000000'],
    [-1e-7, '-0.0000001'],
    [-0, '-0'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
    [0.99, '0.99'],
  ])('%s -> %s', (f, expected) => {
    expect(formatFloatF(f)).toBe(expected);
  });
});

describe('compareUtf8', () => {
  it('orders as UTF-8 bytes, putting astral characters after U+FFFD', () => {
    const words = ['\ufffd', '😀', 'b', 'a', 'ab'];
    expect(words.sort(compareUtf8)).toEqual(['a', 'ab', 'b', '\ufffd', '😀']);
  });
});
