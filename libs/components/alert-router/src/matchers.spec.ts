import { Matcher, matchersString, parseMatchers } from './matchers';

describe('parseMatchers (Alertmanager 0.25 classic parser)', () => {
  it.each([
    ['bare value', 'a=b', ['a="b"']],
    ['quoted value with spaces', 'a = "b c"', ['a="b c"']],
    ['braces and several matchers', '{a="b", c!="d",e=~"f.*", g!~"h"}', ['a="b"', 'c!="d"', 'e=~"f.*"', 'g!~"h"']],
    ['a trailing comma', 'a=b,', ['a="b"']],
    ['a comma inside quotes', 'path="/a,b"', ['path="/a,b"']],
    ['escaped quote and newline', 'a="x \\"y\\" \\n"', ['a="x \\"y\\" \\n"']],
    ['an empty value', 'a=""', ['a=""']],
    ['==: the second = is part of the value', 'a==b', ['a="=b"']],
    ['a colon in the name', 'a:b=c', ['a:b="c"']],
  ])('%s', (_name, input, expected) => {
    expect(parseMatchers(input).map((m) => m.toString())).toEqual(expected);
  });

  it.each([
    ['no operator', 'a', 'bad matcher format: a'],
    ['a name starting with a digit', '1a=b', 'bad matcher format: 1a=b'],
    ['an unescaped quote inside', 'a="b"c"', 'matcher value contains unescaped double quote: "b"c"'],
    ['an unterminated quote', 'a="b', 'matcher value contains unescaped double quote: "b'],
    ['an empty element', 'a=b,,c=d', 'bad matcher format: '],
  ])('rejects %s', (_name, input, message) => {
    expect(() => parseMatchers(input)).toThrow(message);
  });
});

describe('Matcher', () => {
  it.each([
    ['= on a missing label matches the empty value', new Matcher('=', 'a', ''), '', true],
    ['=~ is anchored', new Matcher('=~', 'a', 'b'), 'abc', false],
    ['=~ alternation is anchored as a whole', new Matcher('=~', 'a', 'x|y'), 'y', true],
    ['!~ negates', new Matcher('!~', 'a', 'prod.*'), 'production', false],
    ['(?i) makes the match case-insensitive', new Matcher('=~', 'a', '(?i)prod'), 'PROD', true],
    ['POSIX classes work', new Matcher('=~', 'a', '[[:alpha:]]+-[[:digit:]]'), 'eu-1', true],
    ['. does not match a newline (RE2 default)', new Matcher('=~', 'a', '.*'), 'a\nb', false],
    ['\\z anchors at the very end', new Matcher('=~', 'a', 'ab\\z'), 'ab', true],
  ])('%s', (_name, m, value, expected) => {
    expect(m.matches(value)).toBe(expected);
  });

  it.each([
    ['look-ahead', '(?!x).*', 'invalid or unsupported Perl syntax'],
    ['back-reference', '(a)\\1', 'invalid escape sequence'],
    ['unbalanced', '(a', 'error parsing regexp'],
  ])('rejects RE2-invalid regexes: %s', (_name, re, message) => {
    expect(() => new Matcher('=~', 'a', re)).toThrow(message);
  });

  it('prints matchers as Alertmanager does', () => {
    expect(matchersString([new Matcher('=', 'a', 'b'), new Matcher('=~', 'c', 'd\\"')])).toBe('{a="b",c=~"d\\\\\\""}');
  });
});
