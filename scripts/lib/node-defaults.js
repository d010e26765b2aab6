'use strict';
// Reads the node definitions (`defaults`, `credentials`, `category`, `outputs`) that an
// editor file (.html) registers, by running its <script> blocks in a sandbox with a stand-in
// `RED` and `$` that accept anything. Used to check that example flows hold complete node
// JSON: a node missing a default is flagged by the editor, which then asks to
// "confirm deploy".
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

/** A value that tolerates any property access and any call (RED.settings.x, $('..').on()...). */
function anything() {
  const target = function () {};
  const proxy = new Proxy(target, {
    get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : key === 'then' ? undefined : proxy),
    apply: () => proxy,
    construct: () => proxy,
  });
  return proxy;
}

/** `{ [type]: { defaults: {name: defaultValue}, credentials: [names], category, outputs } }` */
function readEditorFile(htmlFile) {
  const html = fs.readFileSync(htmlFile, 'utf8');
  const found = {};
  const any = anything();
  const RED = new Proxy(
    {},
    {
      get: (_t, key) => {
        if (key === 'nodes') {
          return new Proxy(
            {},
            {
              get: (_n, k) =>
                k === 'registerType'
                  ? (type, def) => {
                      found[type] = def;
                    }
                  : any,
            },
          );
        }
        return any;
      },
    },
  );
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].filter(([, attrs]) => !/type\s*=\s*["']text\/(html|x-red)/i.test(attrs));
  for (const [, , code] of scripts) {
    const sandbox = { RED, $: any, jQuery: any, window: any, document: any, console: { log() {}, warn() {}, error() {} } };
    vm.runInNewContext(code, sandbox, { filename: htmlFile, timeout: 1000 });
  }
  const out = {};
  for (const [type, def] of Object.entries(found)) {
    const defaults = {};
    for (const [k, v] of Object.entries(def.defaults || {})) defaults[k] = v && typeof v === 'object' && 'value' in v ? v.value : undefined;
    out[type] = {
      defaults,
      credentials: Object.keys(def.credentials || {}),
      category: typeof def.category === 'string' ? def.category : undefined,
      outputs: typeof def.outputs === 'number' ? def.outputs : undefined,
    };
  }
  return out;
}

/** Definitions of every node in a folder of editor files (e.g. nodes/, or Node-RED's core). */
function readEditorDir(dir) {
  const out = {};
  for (const file of fs.readdirSync(dir, { recursive: true })) {
    if (!String(file).endsWith('.html')) continue;
    try {
      Object.assign(out, readEditorFile(path.join(dir, String(file))));
    } catch {
      /* an editor file this sandbox can't run: its types stay unknown */
    }
  }
  return out;
}

module.exports = { readEditorFile, readEditorDir };
