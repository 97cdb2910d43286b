import { multipartBody, parseAddressList, qEncodeHeader, quotedPrintable, rfc1123z } from './mime';

describe('qEncodeHeader (Go mime.QEncoding.Encode "utf-8")', () => {
  it.each([
    { name: 'ASCII as it is', input: 'Hello, World [x]=y?', out: 'Hello, World [x]=y?' },
    { name: 'a tab as it is', input: 'a\tb', out: 'a\tb' },
    { name: 'Go’s documented example', input: '¡Hola, señor!', out: '=?utf-8?q?=C2=A1Hola,_se=C3=B1or!?=' },
    { name: 'specials in an encoded word', input: 'ü=?_', out: '=?utf-8?q?=C3=BC=3D=3F=5F?=' },
    { name: 'a newline', input: 'a\nb', out: '=?utf-8?q?a=0Ab?=' },
    {
      name: 'long text split into words of at most 75 characters, runes kept whole',
      input: `${'x'.repeat(60)}üüü`,
      out: `=?utf-8?q?${'x'.repeat(60)}?= =?utf-8?q?=C3=BC=C3=BC=C3=BC?=`,
    },
  ])('encodes $name', ({ input, out }) => {
    expect(qEncodeHeader(input)).toBe(out);
  });
});

describe('quotedPrintable (Go mime/quotedprintable Writer)', () => {
  it.each([
    { name: 'Go’s documented example', input: 'These symbols will be escaped: = \t', out: 'These symbols will be escaped: =3D =09' },
    { name: 'line ends as CRLF, trailing blanks encoded', input: 'a \nb\r\nc\t\rd', out: 'a=20\r\nb\r\nc=09\r\nd' },
    { name: 'UTF-8 as escapes', input: 'é', out: '=C3=A9' },
    { name: 'a soft break before the 76th column', input: 'x'.repeat(80), out: `${'x'.repeat(75)}=\r\n${'x'.repeat(5)}` },
    { name: 'an escape never split over a soft break', input: `${'x'.repeat(74)}=`, out: `${'x'.repeat(74)}=\r\n=3D` },
  ])('writes $name', ({ input, out }) => {
    expect(quotedPrintable(input)).toBe(out);
  });
});

describe('multipartBody', () => {
  it('frames parts as mime/multipart does, sorted headers and a closing delimiter', () => {
    expect(multipartBody('B', [{ contentType: 'text/plain; charset=UTF-8', body: 'a=b' }, { contentType: 'text/html; charset=UTF-8', body: '<p>' }])).toBe(
      '--B\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\na=3Db' +
        '\r\n--B\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>' +
        '\r\n--B--\r\n',
    );
  });
});

describe('parseAddressList', () => {
  it.each([
    { input: 'a@b.c', out: ['a@b.c'] },
    { input: 'Ops Team <ops@x.io>, oncall@x.io', out: ['ops@x.io', 'oncall@x.io'] },
    { input: '"Doe, John" <john@x.io>', out: ['john@x.io'] },
    { input: 'me@x.io (comment)', out: ['me@x.io'] },
  ])('reads $input', ({ input, out }) => {
    expect(parseAddressList(input)).toEqual(out);
  });

  it.each(['', 'not an address', 'a@b, ', 'Name <nope>'])('rejects %j', (input) => {
    expect(() => parseAddressList(input)).toThrow(/^mail: /);
  });
});

it('formats Date as time.RFC1123Z in UTC', () => {
  expect(rfc1123z(Date.UTC(2024, 0, 7, 3, 4, 5))).toBe('Sun, 07 Jan 2024 03:04:05 +0000');
});
