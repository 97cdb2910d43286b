/**
 * Matches a route pattern against a request path relative to the mount point, still
 * percent-encoded and without its query string: segments are compared as they are, a `:name` or
 * `{name}` segment matches any non-empty segment and yields it decoded (Go's `url.PathUnescape`).
 * The path parameters, or undefined when the path does not match.
 */
export function matchRoutePath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const name = w.startsWith(':') ? w.slice(1) : w.startsWith('{') && w.endsWith('}') ? w.slice(1, -1) : undefined;
    if (name === undefined) {
      if (w !== got[i]) return undefined;
      continue;
    }
    if (got[i] === '') return undefined;
    try {
      params[name] = decodeURIComponent(got[i]);
    } catch {
      return undefined;
    }
  }
  return params;
}
