/**
 * Panoptes's default notification templates: the template names of Alertmanager 0.25's
 * `default.tmpl` (and of 0.26/0.28 for Microsoft Teams), written here with the same output for the
 * text ones, byte for byte (`default-templates.spec.ts` and `notify/integrations-compat.spec.ts`
 * check them against the real Alertmanager). `email.default.html` is Panoptes's own HTML mail
 * with the same content (subject, alert counts, labels, annotations, source links, a link back),
 * not Alertmanager's Mailgun-derived layout.
 *
 * White space matters: these are Go templates, and every newline outside `{{- … -}}` trims is
 * part of the output.
 */

/** Parse name of the defaults, as errors inside them report it. */
export const DEFAULT_TEMPLATES_NAME = 'default.tmpl';

const ALERT_SECTIONS = (list: string, heading: string): string =>
  `{{ if .Alerts.Firing }}
${heading}Alerts Firing:
{{ template "${list}" .Alerts.Firing }}
{{ end }}
{{ if .Alerts.Resolved }}
${heading}Alerts Resolved:
{{ template "${list}" .Alerts.Resolved }}
{{ end }}`;

// Firing and resolved sections without the blank lines around them (OpsGenie, WeChat, VictorOps).
const TIGHT_SECTIONS = `{{ if .Alerts.Firing -}}
Alerts Firing:
{{ template "__text_alert_list" .Alerts.Firing }}
{{- end }}
{{ if .Alerts.Resolved -}}
Alerts Resolved:
{{ template "__text_alert_list" .Alerts.Resolved }}
{{- end }}`;

const COMMON_ANNOTATIONS = '{{ join " " .CommonAnnotations.Values }}';

export const DEFAULT_TEMPLATES = `
{{/* Names and links */}}
{{ define "__alertmanager" }}Alertmanager{{ end }}
{{ define "__alertmanagerURL" }}{{ .ExternalURL }}/#/alerts?receiver={{ urlquery .Receiver }}{{ end }}

{{/* "[FIRING:2] <group label values> (<other common label values>)" */}}
{{ define "__subject" -}}
[{{ toUpper .Status }}{{ if eq .Status "firing" }}:{{ len .Alerts.Firing }}{{ end }}]
{{- " " }}{{ join " " .GroupLabels.Values }}
{{- " " }}{{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ join " " (.CommonLabels.Remove .GroupLabels.Names).Values }}){{ end }}
{{- end }}
{{ define "__description" }}{{ end }}

{{ define "__text_alert_list" }}{{ range . -}}
Labels:
{{ range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end -}}
Annotations:
{{ range .Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end -}}
Source: {{ .GeneratorURL }}
{{ end }}{{ end }}

{{ define "__text_alert_list_markdown" }}{{ range . }}
Labels:
{{ range .Labels.SortedPairs }}  - {{ .Name }} = {{ .Value }}
{{ end }}
Annotations:
{{ range .Annotations.SortedPairs }}  - {{ .Name }} = {{ .Value }}
{{ end }}
Source: {{ .GeneratorURL }}
{{ end }}
{{ end }}

{{/* Slack */}}
{{ define "slack.default.title" }}{{ template "__subject" . }}{{ end }}
{{ define "slack.default.username" }}{{ template "__alertmanager" . }}{{ end }}
{{ define "slack.default.fallback" }}{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}{{ end }}
{{ define "slack.default.callbackid" }}{{ end }}
{{ define "slack.default.pretext" }}{{ end }}
{{ define "slack.default.titlelink" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{ define "slack.default.iconemoji" }}{{ end }}
{{ define "slack.default.iconurl" }}{{ end }}
{{ define "slack.default.text" }}{{ end }}
{{ define "slack.default.footer" }}{{ end }}

{{/* PagerDuty */}}
{{ define "pagerduty.default.description" }}{{ template "__subject" . }}{{ end }}
{{ define "pagerduty.default.client" }}{{ template "__alertmanager" . }}{{ end }}
{{ define "pagerduty.default.clientURL" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{ define "pagerduty.default.instances" }}{{ template "__text_alert_list" . }}{{ end }}

{{/* OpsGenie */}}
{{ define "opsgenie.default.message" }}{{ template "__subject" . }}{{ end }}
{{ define "opsgenie.default.description" }}${COMMON_ANNOTATIONS}
${TIGHT_SECTIONS}
{{- end }}
{{ define "opsgenie.default.source" }}{{ template "__alertmanagerURL" . }}{{ end }}

{{/* WeChat */}}
{{ define "wechat.default.message" }}{{ template "__subject" . }}
${COMMON_ANNOTATIONS}
${TIGHT_SECTIONS}
AlertmanagerUrl:
{{ template "__alertmanagerURL" . }}
{{- end }}
{{ define "wechat.default.to_user" }}{{ end }}
{{ define "wechat.default.to_party" }}{{ end }}
{{ define "wechat.default.to_tag" }}{{ end }}
{{ define "wechat.default.agent_id" }}{{ end }}

{{/* VictorOps */}}
{{ define "victorops.default.state_message" }}${COMMON_ANNOTATIONS}
${TIGHT_SECTIONS}
{{- end }}
{{ define "victorops.default.entity_display_name" }}{{ template "__subject" . }}{{ end }}
{{ define "victorops.default.monitoring_tool" }}{{ template "__alertmanager" . }}{{ end }}

{{/* Pushover */}}
{{ define "pushover.default.title" }}{{ template "__subject" . }}{{ end }}
{{ define "pushover.default.message" }}${COMMON_ANNOTATIONS}
${ALERT_SECTIONS('__text_alert_list', '')}
{{ end }}
{{ define "pushover.default.url" }}{{ template "__alertmanagerURL" . }}{{ end }}

{{/* Amazon SNS */}}
{{ define "sns.default.subject" }}{{ template "__subject" . }}{{ end }}
{{ define "sns.default.message" }}${COMMON_ANNOTATIONS}
${ALERT_SECTIONS('__text_alert_list', '')}
{{ end }}

{{/* Telegram */}}
{{ define "telegram.default.message" }}
${ALERT_SECTIONS('__text_alert_list', '')}
{{ end }}

{{/* Discord */}}
{{ define "discord.default.title" }}{{ template "__subject" . }}{{ end }}
{{ define "discord.default.message" }}
${ALERT_SECTIONS('__text_alert_list', '')}
{{ end }}

{{/* Webex */}}
{{ define "webex.default.message" }}${COMMON_ANNOTATIONS}
${ALERT_SECTIONS('__text_alert_list', '')}
{{ end }}

{{/* Microsoft Teams: connectors (Alertmanager 0.26) and workflows (0.28) */}}
{{ define "msteams.default.summary" }}{{ template "__subject" . }}{{ end }}
{{ define "msteams.default.title" }}{{ template "__subject" . }}{{ end }}
{{ define "msteams.default.text" }}
${ALERT_SECTIONS('__text_alert_list_markdown', '# ')}
{{ end }}
{{ define "msteamsv2.default.title" }}{{ template "__subject" . }}{{ end }}
{{ define "msteamsv2.default.text" }}
${ALERT_SECTIONS('__text_alert_list_markdown', '# ')}
{{ end }}

{{/* Email */}}
{{ define "email.default.subject" }}{{ template "__subject" . }}{{ end }}
{{ define "email.default.html" -}}
<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="viewport" content="width=device-width">
<title>{{ template "__subject" . }}</title>
</head>
<body style="margin: 0; padding: 16px; background-color: #f4f5f7; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px; line-height: 1.5; color: #1f2328;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width: 640px; margin: 0 auto; background-color: #ffffff; border: 1px solid #d0d7de; border-radius: 6px;">
<tr><td style="padding: 16px 20px; border-radius: 6px 6px 0 0; color: #ffffff; font-size: 16px; font-weight: 600; background-color: {{ if .Alerts.Firing }}#cf222e{{ else }}#1a7f37{{ end }};">
{{ len .Alerts }} alert{{ if gt (len .Alerts) 1 }}s{{ end }} for {{ range .GroupLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}
</td></tr>
<tr><td style="padding: 16px 20px;">
<a href="{{ template "__alertmanagerURL" . }}" style="display: inline-block; padding: 8px 16px; border-radius: 6px; background-color: #0969da; color: #ffffff; font-weight: 600; text-decoration: none;">View in {{ template "__alertmanager" . }}</a>
</td></tr>
{{- if .Alerts.Firing }}
<tr><td style="padding: 8px 20px 0;"><strong>[{{ len .Alerts.Firing }}] Firing</strong></td></tr>
{{- range .Alerts.Firing }}
{{ template "__email_alert" . }}
{{- end }}
{{- end }}
{{- if .Alerts.Resolved }}
<tr><td style="padding: 8px 20px 0;"><strong>[{{ len .Alerts.Resolved }}] Resolved</strong></td></tr>
{{- range .Alerts.Resolved }}
{{ template "__email_alert" . }}
{{- end }}
{{- end }}
<tr><td style="padding: 16px 20px; text-align: center; color: #656d76; font-size: 12px;"><a href="{{ .ExternalURL }}" style="color: #656d76;">Sent by {{ template "__alertmanager" . }}</a></td></tr>
</table>
</body>
</html>
{{ end }}

{{ define "__email_alert" -}}
<tr><td style="padding: 8px 20px 16px; border-bottom: 1px solid #d0d7de;">
<strong>Labels</strong><br>
{{ range .Labels.SortedPairs }}{{ .Name }} = {{ .Value }}<br>
{{ end -}}
{{ if .Annotations }}<strong>Annotations</strong><br>
{{ range .Annotations.SortedPairs }}{{ .Name }} = {{ .Value }}<br>
{{ end }}{{ end -}}
<a href="{{ .GeneratorURL }}" style="color: #0969da;">Source</a>
</td></tr>
{{- end }}
`;
