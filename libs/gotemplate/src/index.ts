// Public surface of @panoptes/gotemplate: Go's text/template language (lexer, parser, executor),
// Go's fmt verbs, Go values, and text/template's builtin functions. Prometheus's and
// Alertmanager's template functions live with their components and are passed in as a FuncMap.
export { KEYWORDS, TemplateSyntaxError, lex, unquote } from './lexer';
export type { Token, TokenType } from './lexer';
export { parseTemplate, nodeString } from './parser';
export type { ArgNode, CommandNode, Node, ParsedTemplate, PipeNode } from './parser';
export { executeTemplate, TemplateExecError } from './exec';
export type { ExecuteOptions, FuncMap, ParamType, TemplateFunc } from './exec';
export { addParseTree } from './template-set';
export { HtmlEscaper, htmlTemplateEscape } from './html-escape';
export { formatFloat, sprint, sprintf, sprintln } from './go-fmt';
export { GoHTML, GoInt, GoMap, GoSlice, GoStruct, GoTime, formatGoTime, formatGoTimeLayout, formatValue, isTrue, methodOf, typeName } from './values';
export type { GoMethod, GoMethods, GoValue } from './values';
export { BUILTINS, htmlEscape, queryEscape } from './builtins';
