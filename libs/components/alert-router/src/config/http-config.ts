import { type Codec, bool, dict, field, list, object, parsed, secret, str } from './yaml-decode';
import { parseAnyUrl, parseHttpUrl } from './values';

/**
 * `http_config` of a receiver or of `global` (prometheus/common's HTTPClientConfig, in the version
 * Alertmanager 0.25 ships): the fields it knows and the checks its Validate() makes.
 */
export interface TlsConfig {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  server_name?: string;
  insecure_skip_verify: boolean;
  min_version?: string;
  max_version?: string;
}

export interface BasicAuth {
  username?: string;
  password?: string;
  password_file?: string;
}

export interface Authorization {
  type?: string;
  credentials?: string;
  credentials_file?: string;
}

export interface OAuth2 {
  client_id?: string;
  client_secret?: string;
  client_secret_file?: string;
  scopes?: string[];
  token_url?: string;
  endpoint_params?: Record<string, string>;
  tls_config: TlsConfig;
  proxy_url?: string;
}

export interface HttpConfig {
  basic_auth?: BasicAuth;
  authorization?: Authorization;
  oauth2?: OAuth2;
  bearer_token?: string;
  bearer_token_file?: string;
  tls_config: TlsConfig;
  proxy_url?: string;
  proxy_connect_header?: Record<string, string[]>;
  follow_redirects: boolean;
  enable_http2: boolean;
}

const TLS_VERSIONS = new Set(['TLS10', 'TLS11', 'TLS12', 'TLS13']);

const tlsVersion = parsed(
  'config.TLSVersion',
  (s) => {
    if (!TLS_VERSIONS.has(s)) throw new Error(`unknown TLS version: ${s}`);
    return s;
  },
  (v) => v,
);

export const tlsConfigCodec = object<TlsConfig>(
  'config.TLSConfig',
  [
    field('ca_file', str),
    field('cert_file', str),
    field('key_file', str),
    field('server_name', str),
    field('insecure_skip_verify', bool, false),
    field('min_version', tlsVersion),
    field('max_version', tlsVersion),
  ],
  { defaults: () => ({ insecure_skip_verify: false }) },
);

const proxyUrl = parsed('config.URL', parseAnyUrl, (v) => v, (v) => !v);

const basicAuthCodec = object<BasicAuth>('config.BasicAuth', [field('username', str), field('password', secret), field('password_file', str)]);

const authorizationCodec = object<Authorization>('config.Authorization', [field('type', str), field('credentials', secret), field('credentials_file', str)]);

const oauth2Codec = object<OAuth2>(
  'config.OAuth2',
  [
    field('client_id', str),
    field('client_secret', secret),
    field('client_secret_file', str),
    field('scopes', list(str)),
    field('token_url', str),
    field('endpoint_params', dict(str)),
    field('tls_config', tlsConfigCodec),
    field('proxy_url', proxyUrl),
  ],
  { defaults: () => ({ tls_config: { insecure_skip_verify: false } }) },
);

function validateHttpConfig(c: HttpConfig): string | undefined {
  const hasBearer = !!c.bearer_token || !!c.bearer_token_file;
  if (c.bearer_token && c.bearer_token_file) return 'at most one of bearer_token & bearer_token_file must be configured';
  if ((c.basic_auth || c.oauth2) && hasBearer) return 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured';
  if (c.basic_auth?.password && c.basic_auth.password_file) return 'at most one of basic_auth password & password_file must be configured';
  if (c.authorization) {
    if (hasBearer) return 'authorization is not compatible with bearer_token & bearer_token_file';
    if (c.authorization.credentials && c.authorization.credentials_file) return 'at most one of authorization credentials & credentials_file must be configured';
    c.authorization.type = (c.authorization.type ?? '').trim() || 'Bearer';
    if (c.authorization.type.toLowerCase() === 'basic') return 'authorization type cannot be set to "basic", use "basic_auth" instead';
    if (c.basic_auth || c.oauth2) return 'at most one of basic_auth, oauth2 & authorization must be configured';
  } else if (c.bearer_token) {
    c.authorization = { type: 'Bearer', credentials: c.bearer_token };
    delete c.bearer_token;
  } else if (c.bearer_token_file) {
    c.authorization = { type: 'Bearer', credentials_file: c.bearer_token_file };
    delete c.bearer_token_file;
  }
  if (c.oauth2) {
    if (c.basic_auth) return 'at most one of basic_auth, oauth2 & authorization must be configured';
    if (!c.oauth2.client_id) return 'oauth2 client_id must be configured';
    if (!c.oauth2.client_secret && !c.oauth2.client_secret_file) return 'either oauth2 client_secret or client_secret_file must be configured';
    if (!c.oauth2.token_url) return 'oauth2 token_url must be configured';
    if (c.oauth2.client_secret && c.oauth2.client_secret_file) return 'at most one of oauth2 client_secret & client_secret_file must be configured';
  }
  if (c.proxy_connect_header && Object.keys(c.proxy_connect_header).length > 0 && !c.proxy_url) {
    return 'if proxy_connect_header is configured proxy_url must also be configured';
  }
  return undefined;
}

export function defaultHttpConfig(): HttpConfig {
  return { tls_config: { insecure_skip_verify: false }, follow_redirects: true, enable_http2: true };
}

export const httpConfigCodec: Codec<HttpConfig> = object<HttpConfig>(
  'config.HTTPClientConfig',
  [
    field('basic_auth', basicAuthCodec),
    field('authorization', authorizationCodec),
    field('oauth2', oauth2Codec),
    field('bearer_token', secret),
    field('bearer_token_file', str),
    field('tls_config', tlsConfigCodec),
    field('follow_redirects', bool, false),
    field('enable_http2', bool, false),
    field('proxy_url', proxyUrl),
    field('proxy_connect_header', dict(list(secret))),
  ],
  { defaults: defaultHttpConfig, validate: validateHttpConfig },
);

/** An http(s) URL (Alertmanager's `URL`). */
export const httpUrl = parsed('config.URL', parseHttpUrl, (v) => v, (v) => !v);

/** A URL that must not be shown (Alertmanager's `SecretURL`); `<secret>` is accepted back as a placeholder. */
export const secretUrl = parsed(
  'config.SecretURL',
  (s) => (s === '<secret>' ? s : parseHttpUrl(s)),
  (v) => (v ? '<secret>' : undefined),
  (v) => !v,
);
