import { ValidationError } from '@panoptes/common';
import { type GoValue, type ParsedTemplate, TemplateExecError, TemplateSyntaxError, addParseTree, executeTemplate, parseTemplate } from '@panoptes/gotemplate';
import { DEFAULT_TEMPLATES, DEFAULT_TEMPLATES_NAME } from './default-templates';
import { ALERTMANAGER_FUNCS } from './funcs';

/**
 * A tenant's notification templates, as Alertmanager's `template.Template`: the default templates,
 * then the tenant's template files (in name order; a later non-empty `define` replaces an earlier
 * one, so a file may redefine `slack.default.title`), and each config field (`title`, `text`, …)
 * parsed into that set and executed, with `missingkey=zero`, as text or, for HTML mail bodies and
 * Telegram's HTML parse mode, with html/template's escaping.
 *
 * Errors read as Go's: `template: my.tmpl:3: function "foo" not defined` for a file that does not
 * parse, `template: :1:12: executing "" at <.Foo>: can't evaluate field Foo in type
 * *template.Data` for a field that fails (the field's template has the empty name, as in
 * Alertmanager; a definition that fails names its file).
 */

/** A template that does not parse or fails to execute; the message is Go's. */
export class NotificationTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationTemplateError';
  }
}

const hasFunction = (name: string): boolean => ALERTMANAGER_FUNCS.has(name);

function parse(name: string, text: string): ParsedTemplate {
  try {
    return parseTemplate(name, text, hasFunction);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new NotificationTemplateError(`template: ${name}:${err.line}: ${err.message}`);
    throw err;
  }
}

/** A parsed file joins the set with its definitions and, when it has content outside them, as a template named by the file. */
function addFile(set: ParsedTemplate | undefined, name: string, text: string): ParsedTemplate {
  const file = parse(name, text);
  if (file.root.some((n) => n.kind !== 'text' || n.text.trim() !== '')) file.defined.set(name, file.root);
  return addParseTree(set, file);
}

let defaults: ParsedTemplate | undefined;

function defaultSet(): ParsedTemplate {
  defaults ??= addFile(undefined, DEFAULT_TEMPLATES_NAME, DEFAULT_TEMPLATES);
  return defaults;
}

/** Parsed fields kept per template set; config fields repeat with every notification. */
const MAX_CACHED_FIELDS = 512;

export class NotificationTemplates {
  private readonly set: ParsedTemplate | undefined;
  private readonly loadError: NotificationTemplateError | undefined;
  private readonly fields = new Map<string, ParsedTemplate>();

  /** `templateFiles`: file name → template text, as a tenant config carries them. A file that does not parse makes every use fail with its error. */
  constructor(templateFiles: Readonly<Record<string, string>> = {}) {
    let set: ParsedTemplate | undefined;
    let loadError: NotificationTemplateError | undefined;
    try {
      set = defaultSet();
      for (const name of Object.keys(templateFiles).sort()) set = addFile(set, name, templateFiles[name]);
    } catch (err) {
      if (!(err instanceof NotificationTemplateError)) throw err;
      loadError = new NotificationTemplateError(`failed to parse templates: ${err.message}`);
      set = undefined;
    }
    this.set = set;
    this.loadError = loadError;
  }

  /** Alertmanager's ExecuteTextString: `text` executed with the set's templates; an empty text gives "". */
  text(text: string, data: GoValue, signal?: AbortSignal): Promise<string> {
    return this.execute(text, data, false, signal);
  }

  /** Alertmanager's ExecuteHTMLString: as `text`, with html/template's contextual escaping. */
  html(text: string, data: GoValue, signal?: AbortSignal): Promise<string> {
    return this.execute(text, data, true, signal);
  }

  private async execute(text: string, data: GoValue, html: boolean, signal: AbortSignal | undefined): Promise<string> {
    if (text === '') return '';
    if (this.loadError) throw this.loadError;
    let tmpl = this.fields.get(text);
    if (!tmpl) {
      tmpl = addParseTree(this.set, parse('', text));
      if (this.fields.size >= MAX_CACHED_FIELDS) this.fields.clear();
      this.fields.set(text, tmpl);
    }
    try {
      return await executeTemplate(tmpl, data, ALERTMANAGER_FUNCS, signal, { html });
    } catch (err) {
      if (err instanceof TemplateExecError) throw new NotificationTemplateError(err.message);
      throw err;
    }
  }
}

/** Checks a tenant's template files as Alertmanager does when it loads them; throws ValidationError with Go's message. */
export function validateTemplateFiles(templateFiles: Readonly<Record<string, string>>): void {
  let set: ParsedTemplate | undefined = defaultSet();
  try {
    for (const name of Object.keys(templateFiles).sort()) set = addFile(set, name, templateFiles[name]);
  } catch (err) {
    if (err instanceof NotificationTemplateError) throw new ValidationError('invalid_template', `invalid template file: ${err.message}; fix the template and upload the configuration again`);
    throw err;
  }
}
