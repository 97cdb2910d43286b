import type { Labels } from '@panoptes/block-formats';
import { TemplateSyntaxError, executeTemplate, TemplateExecError, type ParsedTemplate, parseTemplate, GoMap, GoStruct, type GoValue } from '@panoptes/gotemplate';
import { TEMPLATE_FUNCTION_NAMES, type TemplateFuncOptions, prometheusFuncs } from './prometheus-funcs';

/**
 * Prometheus's template expander (template.Expander) for alert labels and annotations: Go
 * text/template syntax, `missingkey=zero`, Prometheus's functions, and its error texts:
 * `error parsing template NAME: template: NAME:LINE: …` and
 * `error executing template NAME: template: NAME:LINE:COL: executing "NAME" at <…>: …`.
 */

/** What alert templates are prefixed with, so `$labels`, `$value`… exist (Prometheus's defs). */
export const ALERT_TEMPLATE_DEFS = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

export class TemplateError extends Error {}

const hasFunction = (name: string): boolean => TEMPLATE_FUNCTION_NAMES.has(name);

/** A template parsed once and expanded many times. */
export class Template {
  private constructor(
    readonly name: string,
    readonly text: string,
    /** Undefined when the text has no action at all: it expands to itself. */
    private readonly parsed: ParsedTemplate | undefined,
    private readonly literal: string,
  ) {}

  /** Parses `text`; throws TemplateError with Go's text (`template: NAME:LINE: MSG`). */
  static parse(name: string, text: string, literalPrefix = ''): Template {
    if (!text.slice(literalPrefix.length).includes('{{')) return new Template(name, text, undefined, text.slice(literalPrefix.length));
    try {
      return new Template(name, text, parseTemplate(name, text, hasFunction), '');
    } catch (err) {
      if (err instanceof TemplateSyntaxError) throw new TemplateError(`template: ${name}:${err.line}: ${err.message}`);
      throw err;
    }
  }

  /** Expands with Prometheus's functions; throws TemplateError (`error executing template …`). */
  async expand(data: GoValue, opts: TemplateFuncOptions): Promise<string> {
    if (!this.parsed) return this.literal;
    try {
      return await executeTemplate(this.parsed, data, prometheusFuncs(opts), opts.signal);
    } catch (err) {
      if (err instanceof TemplateExecError) throw new TemplateError(`error executing template ${this.name}: ${err.message}`);
      throw err;
    }
  }
}

/** `template.AlertTemplateData`: what `.` is in alert templates. */
export function alertTemplateData(labels: Labels, externalLabels: Labels, externalURL: string, value: number): GoStruct {
  return new GoStruct(
    'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }',
    new Map<string, GoValue>([
      ['Labels', GoMap.ofStrings(new Map(labels))],
      ['ExternalLabels', GoMap.ofStrings(new Map(externalLabels))],
      ['ExternalURL', externalURL],
      ['Value', value],
    ]),
  );
}

/** An alert rule's label or annotation template, with Prometheus's variable definitions in front. */
export function parseAlertTemplate(alertName: string, text: string): Template {
  return Template.parse(`__alert_${alertName}`, ALERT_TEMPLATE_DEFS + text, ALERT_TEMPLATE_DEFS);
}

/** Go's parse error of an alert template, as rule validation reports it; undefined when it parses. */
export function alertTemplateParseError(alertName: string, text: string): string | undefined {
  try {
    parseAlertTemplate(alertName, text);
    return undefined;
  } catch (err) {
    if (err instanceof TemplateError) return err.message;
    throw err;
  }
}

/**
 * Expands an alert template; a failure becomes the text `<error expanding template: …>`, as in
 * Prometheus, so one bad annotation never stops an alert.
 */
export async function expandAlertTemplate(template: Template, data: GoValue, opts: TemplateFuncOptions): Promise<{ text: string; error?: string }> {
  try {
    return { text: await template.expand(data, opts) };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return { text: `<error expanding template: ${message}>`, error: message };
  }
}
