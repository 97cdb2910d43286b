import { ValidationError } from '@panoptes/common';
import type { Alert } from '../alerts/alert';
import { notificationData } from './data';
import { reReplaceAll, title, toUpper } from './funcs';
import { NotificationTemplateError, NotificationTemplates, validateTemplateFiles } from './templates';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);

const alert = (labels: Record<string, string>, endsAt = 0, annotations: Record<string, string> = {}): Alert => ({
  labels,
  annotations,
  startsAt: Date.UTC(2024, 0, 1, 11, 30, 5, 120),
  endsAt,
  generatorURL: 'http://prom/g',
  updatedAt: NOW,
  timeout: false,
});

const ALERTS = [
  alert({ zone: 'eu', alertname: 'Disk', instance: 'a', team: 'db' }, 0, { summary: 'full <1>' }),
  alert({ zone: 'eu', alertname: 'Disk', instance: 'b', team: 'db' }, NOW - 1000, { summary: 'ok' }),
];
const DATA = notificationData('team.db', { alertname: 'Disk' }, ALERTS, NOW, 'http://am.example');

async function render(text: string, files: Record<string, string> = {}, html = false): Promise<string> {
  const t = new NotificationTemplates(files);
  return html ? t.html(text, DATA) : t.text(text, DATA);
}

describe('NotificationTemplates', () => {
  it.each([
    { name: 'the default subject', text: '{{ template "__subject" . }}', out: '[FIRING:1] Disk (db eu)' },
    { name: 'the Alertmanager link, receiver quoted and URL-escaped', text: '{{ template "__alertmanagerURL" . }}', out: 'http://am.example/#/alerts?receiver=team%5C.db' },
    { name: 'sorted pairs, alertname first', text: '{{ range (index .Alerts 0).Labels.SortedPairs }}{{ .Name }} {{ end }}', out: 'alertname instance team zone ' },
    { name: 'KV names, values and remove', text: '{{ .CommonLabels.Names }} {{ .CommonLabels.Values }} {{ (.CommonLabels.Remove (stringSlice "zone" "x")).Names }}', out: '[alertname team zone] [Disk db eu] [alertname team]' },
    { name: 'pairs names and values', text: '{{ .GroupLabels.SortedPairs.Names }}={{ .GroupLabels.SortedPairs.Values }}', out: '[alertname]=[Disk]' },
    { name: 'firing and resolved alerts', text: '{{ len .Alerts.Firing }}/{{ len .Alerts.Resolved }} {{ range .Alerts.Resolved }}{{ .Labels.instance }} {{ .Status }}{{ end }}', out: '1/1 b resolved' },
    { name: 'times as Go prints them, a firing alert’s end hidden', text: '{{ (index .Alerts 0).StartsAt }}|{{ (index .Alerts 0).EndsAt }}|{{ (index .Alerts 1).EndsAt.Format "15:04:05" }}', out: '2024-01-01 11:30:05.12 +0000 UTC|0001-01-01 00:00:00 +0000 UTC|11:59:59' },
    { name: 'a missing label as the empty string', text: '[{{ .CommonLabels.nope }}]', out: '[]' },
    { name: 'an empty text as nothing', text: '', out: '' },
    { name: 'Alertmanager’s functions', text: '{{ join "," (stringSlice "a" "b") }} {{ match "^D" .GroupLabels.alertname }} {{ "x-y" | reReplaceAll "-" "+" }} {{ "hELLO wORLD" | title }} {{ toLower "ÀB" }} {{ safeHtml "<b>" }}', out: 'a,b true x+y Hello World àb <b>' },
  ])('renders $name', async ({ text, out }) => {
    expect(await render(text)).toBe(out);
  });

  it.each([
    { name: 'a user file redefines a default template', files: { 'a.tmpl': '{{ define "__subject" }}custom {{ .Status }}{{ end }}' }, text: '{{ template "slack.default.title" . }}', out: 'custom firing' },
    { name: 'the later file (by name) wins', files: { 'b.tmpl': '{{ define "x" }}b{{ end }}', 'a.tmpl': '{{ define "x" }}a{{ end }}' }, text: '{{ template "x" }}', out: 'b' },
    { name: 'a file with content outside its defines is a template named by the file', files: { 'whole.tmpl': 'whole {{ .Status }}' }, text: '{{ template "whole.tmpl" . }}', out: 'whole firing' },
    { name: 'a field may define templates of its own', files: {}, text: '{{ define "mine" }}m{{ end }}{{ template "mine" }}', out: 'm' },
  ])('uses user templates: $name', async ({ files, text, out }) => {
    expect(await render(text, files as Record<string, string>)).toBe(out);
  });

  it.each([
    { name: 'a function 0.25 does not have', text: '{{ trimSpace " a " }}', files: {}, error: 'template: :1: function "trimSpace" not defined' },
    { name: 'a field the data does not have', text: '{{ .Foo }}', files: {}, error: 'template: :1:3: executing "" at <.Foo>: can\'t evaluate field Foo in type *template.Data' },
    { name: 'an undefined template', text: '{{ template "nope" . }}', files: {}, error: 'template: :1:12: executing "" at <{{template "nope" .}...>: template "nope" not defined' },
    { name: 'an error inside a user template names its file', text: '{{ template "t" . }}', files: { 'mine.tmpl': '{{ define "t" }}\n  {{ .Alerts.Nope }}{{ end }}' }, error: 'template: mine.tmpl:2:5: executing "t" at <.Alerts.Nope>: can\'t evaluate field Nope in type template.Alerts' },
    { name: 'a user file that does not parse', text: '{{ .Status }}', files: { 'bad.tmpl': '{{ define "x" }}{{ end' }, error: 'failed to parse templates: template: bad.tmpl:1: unclosed action' },
    { name: 'a bad regexp', text: '{{ match "(" "x" }}', files: {}, error: 'error calling match: error parsing regexp' },
    { name: 'join given a string', text: '{{ join "," "a" }}', files: {}, error: 'can\'t handle "a" for arg of type []string' },
  ])('fails with Go’s message for $name', async ({ text, files, error }) => {
    const err = await render(text, files as Record<string, string>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationTemplateError);
    expect((err as Error).message).toContain(error);
  });

  it('escapes values in HTML mode and not in text mode', async () => {
    const text = '<p>{{ (index .Alerts 0).Annotations.summary }}</p>';
    expect([await render(text), await render(text, {}, true)]).toEqual(['<p>full <1></p>', '<p>full &lt;1&gt;</p>']);
  });

  it('renders the default HTML email with the alerts, escaped', async () => {
    const out = await render('{{ template "email.default.html" . }}', {}, true);
    expect(out).toContain('<title>[FIRING:1] Disk (db eu)</title>');
    expect(out).toContain('2 alerts for alertname=Disk');
    expect(out).toContain('summary = full &lt;1&gt;<br>');
    expect(out).toContain('href="http://am.example/#/alerts?receiver=team%5C.db"');
    expect(out).toContain('[1] Firing');
    expect(out).toContain('[1] Resolved');
  });
});

describe('validateTemplateFiles', () => {
  it('accepts files that parse', () => {
    expect(() => validateTemplateFiles({ 'a.tmpl': '{{ define "x" }}{{ .Status | toUpper }}{{ end }}' })).not.toThrow();
  });

  it('rejects a file that does not parse with a ValidationError naming the file and line', () => {
    expect(() => validateTemplateFiles({ 'a.tmpl': '\n{{ date "x" }}' })).toThrow(ValidationError);
    expect(() => validateTemplateFiles({ 'a.tmpl': '\n{{ date "x" }}' })).toThrow('template: a.tmpl:2: function "date" not defined');
  });
});

describe('template functions', () => {
  it.each([
    { name: 'empty matches between matches', args: ['a*', 'X', 'baaac'], out: 'XbXcX' },
    { name: 'Go expansion of $1x as a named group', args: ['(a)', '$1x', 'a'], out: '' },
    { name: 'braced group references', args: ['(a)(b)', '${2}${1}', 'xaby'], out: 'xbay' },
    { name: 'named groups', args: ['(?P<w>b+)', '<$w>', 'abbc'], out: 'a<bb>c' },
    { name: 'a literal dollar', args: ['a', '$$', 'a'], out: '$' },
  ])('reReplaceAll: $name', ({ args: [p, r, t], out }) => {
    expect(reReplaceAll(p, r, t)).toBe(out);
  });

  it.each([
    { input: 'hELLO wORLD foo-bar', out: 'Hello World Foo-Bar' },
    { input: "it's a dog's life", out: "It's A Dog's Life" },
    { input: 'firing', out: 'Firing' },
  ])('title($input) = $out', ({ input, out }) => {
    expect(title(input)).toBe(out);
  });

  it('upper-cases rune by rune, as Go does (ß stays)', () => {
    expect(toUpper('straße é')).toBe('STRAßE É');
  });
});
