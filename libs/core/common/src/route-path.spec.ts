import { matchRoutePath } from './route-path';

describe('matchRoutePath', () => {
  it.each([
    { name: 'a literal path', pattern: '/api/v1/query', path: '/api/v1/query', want: {} },
    { name: 'a :name segment, decoded', pattern: '/api/v1/label/:name/values', path: '/api/v1/label/a%2Fb/values', want: { name: 'a/b' } },
    { name: 'a {name} segment', pattern: '/api/v2/silence/{silenceID}', path: '/api/v2/silence/abc', want: { silenceID: 'abc' } },
    { name: 'another literal', pattern: '/api/v1/query', path: '/api/v1/series', want: undefined },
    { name: 'another length', pattern: '/rules/:ns', path: '/rules/a/b', want: undefined },
    { name: 'an empty parameter', pattern: '/rules/:ns', path: '/rules/', want: undefined },
    { name: 'a malformed escape', pattern: '/rules/:ns', path: '/rules/%zz', want: undefined },
  ])('$name', ({ pattern, path, want }) => {
    expect(matchRoutePath(pattern, path)).toEqual(want);
  });
});
