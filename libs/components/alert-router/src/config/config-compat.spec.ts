import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { amtool, describeWithTool, stopAllPeers } from '@panoptes/testing';
import { Route, matchRoutes } from '../routing/route';
import { ConfigValidationError, loadConfig } from './config';

/**
 * The config corpus (src/testdata/configs) checked against the real `amtool` (Alertmanager
 * 0.25): `valid-*` and `invalid-*` must get the same verdict from amtool check-config and from
 * loadConfig; `newer-*` use receivers newer than 0.25 (amtool rejects them, we accept them); and
 * for every `# routes-test: k=v …` line, `amtool config routes test` and matchRoutes name the
 * same receivers.
 */
const DIR = join(__dirname, '..', 'testdata', 'configs');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml')).sort();

function ourVerdict(text: string): { ok: boolean; message: string } {
  try {
    loadConfig(text);
    return { ok: true, message: '' };
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    return { ok: false, message: err.message };
  }
}

function routeTests(text: string): string[][] {
  return [...text.matchAll(/^# routes-test:(.*)$/gm)].map((m) => m[1].trim().split(/\s+/));
}

describe('config corpus', () => {
  it('has at least 20 configs amtool accepts and 8 it rejects', () => {
    expect(FILES.filter((f) => f.startsWith('valid-')).length).toBeGreaterThanOrEqual(20);
    expect(FILES.filter((f) => f.startsWith('invalid-')).length).toBeGreaterThanOrEqual(8);
  });

  it.each(FILES.map((f) => [f]))('%s gets the verdict its name states from our loader', (file) => {
    const verdict = ourVerdict(readFileSync(join(DIR, file), 'utf8'));
    expect({ file, ok: verdict.ok, message: verdict.message }).toEqual({ file, ok: !file.startsWith('invalid-'), message: expect.any(String) });
  });
});

describeWithTool('amtool', 'config corpus against amtool 0.25', (amtoolPath) => {
  afterAll(stopAllPeers);

  it.each(FILES.map((f) => [f]))('%s: amtool check-config and loadConfig agree', async (file) => {
    const path = join(DIR, file);
    const result = await amtool(['check-config', path], { amtoolPath });
    const ours = ourVerdict(readFileSync(path, 'utf8'));
    if (file.startsWith('newer-')) {
      // Receivers added after Alertmanager 0.25: amtool names the unknown field, we accept.
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/field msteams(v2)?_configs not found/);
      expect(ours.ok).toBe(true);
      return;
    }
    expect({ file, amtool: result.code === 0, ours: ours.ok }).toEqual({ file, amtool: ours.ok, ours: ours.ok });
  });

  const cases = FILES.filter((f) => !f.startsWith('invalid-') && !f.startsWith('newer-')).flatMap((file) =>
    routeTests(readFileSync(join(DIR, file), 'utf8')).map((labels) => [file, labels.join(' '), labels] as const),
  );

  it('routes at least 40 sample alerts', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s routes {%s} to the receivers amtool config routes test names', async (file, _title, labels) => {
    const path = join(DIR, file);
    const result = await amtool(['config', 'routes', 'test', `--config.file=${path}`, ...labels], { amtoolPath });
    expect(result.code).toBe(0);
    const root = new Route(loadConfig(readFileSync(path, 'utf8')).route);
    const set = Object.fromEntries(labels.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(matchRoutes(root, set).join(',')).toBe(result.stdout.trim());
  });
});
