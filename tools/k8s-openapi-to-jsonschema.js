#!/usr/bin/env node
// Converts the Kubernetes OpenAPI v2 spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes
// Go module) into the standalone, strict JSON schemas kubeconform reads offline: one file per
// kind, named like kubeconform's default `{{ .ResourceKind }}{{ .KindSuffix }}.json`
// (deployment-apps-v1.json, service-v1.json, horizontalpodautoscaler-autoscaling-v2.json).
//   standalone: every $ref is inlined (a recursive reference becomes `{}`, allowing anything there);
//   strict: every object that lists its properties refuses others (additionalProperties: false),
//   so a misspelt field in a manifest fails validation.
// Optional fields also accept null (the API server does), IntOrString accepts both, and Quantity
// accepts numbers (`cpu: 1`), as the API server does.
// Usage: node tools/k8s-openapi-to-jsonschema.js <swagger.json> <output dir>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [input, outDir] = process.argv.slice(2);
if (!input || !outDir) {
  process.stderr.write('usage: k8s-openapi-to-jsonschema.js <swagger.json> <output dir>\n');
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(input, 'utf8'));
const definitions = spec.definitions || {};

const SPECIAL = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': () => ({ oneOf: [{ type: 'string' }, { type: 'integer' }] }),
  'io.k8s.apimachinery.pkg.api.resource.Quantity': () => ({ oneOf: [{ type: 'string' }, { type: 'number' }] }),
};

function refName(ref) {
  return ref.replace(/^#\/definitions\//, '');
}

function convert(node, stack) {
  if (Array.isArray(node)) return node.map((n) => convert(n, stack));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const name = refName(node.$ref);
    if (SPECIAL[name]) return SPECIAL[name]();
    if (stack.includes(name) || !definitions[name]) return {};
    const inlined = convert(definitions[name], [...stack, name]);
    if (node.description && !inlined.description) inlined.description = node.description;
    return inlined;
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') && key !== 'x-kubernetes-group-version-kind') continue;
    if (key === 'format' && value === 'int-or-string') continue;
    if (key === 'properties') {
      const required = new Set(node.required || []);
      out.properties = {};
      for (const [prop, schema] of Object.entries(value)) {
        const converted = convert(schema, stack);
        out.properties[prop] = required.has(prop) ? converted : nullable(converted);
      }
      continue;
    }
    out[key] = convert(value, stack);
  }
  if (node.format === 'int-or-string') return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function nullable(schema) {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (schema.oneOf) return { ...schema, oneOf: [...schema.oneOf, { type: 'null' }] };
  return schema;
}

fs.mkdirSync(outDir, { recursive: true });
let written = 0;
for (const [name, definition] of Object.entries(definitions)) {
  const gvks = definition['x-kubernetes-group-version-kind'];
  if (!Array.isArray(gvks)) continue;
  const schema = { $schema: 'http://json-schema.org/schema#', ...convert(definition, [name]) };
  for (const { group, version, kind } of gvks) {
    // kubeconform's KindSuffix: "-<first label of the group>-<version>", or "-<version>" for core.
    const groupPart = group ? `-${group.split('.')[0]}` : '';
    const file = `${kind}${groupPart}-${version}.json`.toLowerCase();
    fs.writeFileSync(path.join(outDir, file), JSON.stringify(schema));
    written++;
  }
}
process.stderr.write(`[k8s-schemas] wrote ${written} schemas to ${outDir}\n`);
