// Every node speaks English and German in the editor: the same catalog keys in en-US and de,
// the same __placeholders__ in both, and help in both languages (nodes/locales/<lang>/<type>.html,
// where Node-RED looks for it) that documents the same message properties. A key missing in
// one language shows its raw name to that user.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const nodesDir = path.join(root, 'nodes');
const LANGS = ['en-US', 'de'] as const;

type Catalog = { [key: string]: string | Catalog };

/** Node types: those the package declares and those with an editor file (they must agree). */
function nodeTypes(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  const declared = Object.keys(pkg['node-red'].nodes);
  const edited = fs
    .readdirSync(nodesDir)
    .filter((f) => f.endsWith('.html'))
    .map((f) => f.slice(0, -'.html'.length));
  return [...new Set([...declared, ...edited])].sort();
}

function readCatalog(lang: string, type: string): Catalog | undefined {
  const file = path.join(nodesDir, 'locales', lang, `${type}.json`);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Catalog;
}

/** `a.b.c` -> text, for every string in the catalog. */
function flatten(catalog: Catalog, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(name, value);
    else for (const [k, v] of flatten(value, name)) out.set(k, v);
  }
  return out;
}

function placeholders(text: string): string[] {
  return [...new Set(text.match(/__[A-Za-z0-9_]+?__/g) ?? [])].sort();
}

const HELP_BLOCK = (type: string): RegExp => new RegExp(`<script[^>]*data-help-name=["']${type}["'][^>]*>([\\s\\S]*?)</script>`);

/** The help of a node in a language, where Node-RED looks for it: nodes/locales/<lang>/<type>.html. */
function readHelp(lang: string, type: string): string | undefined {
  const file = path.join(nodesDir, 'locales', lang, `${type}.html`);
  if (!fs.existsSync(file)) return undefined;
  return HELP_BLOCK(type).exec(fs.readFileSync(file, 'utf8'))?.[1];
}

/**
 * The message properties a help lists (`<dt>payload.days_to_keep <span ...>`): names that stay
 * the same in every language. Setting labels (`<dt>Host / Port`) are translated and left out.
 */
function documentedProperties(help: string): string[] {
  const names = [...help.matchAll(/<dt[^>]*>\s*([^<\s]+)/g)].map((m) => m[1]).filter((name) => /^[a-z][A-Za-z0-9_.[\]]*$/.test(name));
  return [...new Set(names)].sort();
}

/** Files that look texts up by their full key: editor files, editor scripts, runtime code. */
function filesUsingKeys(): string[] {
  const under = (dir: string, ext: string): string[] =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith(ext))
          .map((f) => path.join(dir, f))
      : [];
  return [...under(nodesDir, '.html').filter((f) => !f.includes(`${path.sep}locales${path.sep}`)), ...under(path.join(root, 'resources'), '.js'), ...under(path.join(root, 'src'), '.ts')];
}

/** Quoted literal keys `abm365-<type>.a.b` of a known type; file names (`abm365-query.svg`) are not keys. */
function literalKeys(text: string, types: readonly string[]): string[] {
  const keys: string[] = [];
  for (const m of text.matchAll(/["'`](abm365-[a-z0-9-]+)\.([A-Za-z0-9_.]+)["'`]/g)) {
    if (!types.includes(m[1]) || /^(svg|png|js|ts|html|json)$/.test(m[2])) continue;
    keys.push(`${m[1]}.${m[2]}`);
  }
  return keys;
}

/** Node-RED's own lookup of a node's help for an editor language (what the sidebar shows). */
function helpServed(type: string, lang: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loader = require('@node-red/registry/lib/loader') as { getNodeHelp(node: object, lang: string): string | null };
  const node = { template: path.join(nodesDir, `${type}.html`), module: '@abm365/node-red-synology', help: {} };
  return loader.getNodeHelp(node, lang) ?? '';
}

describe('message catalogs and help: English and German', function () {
  const types = nodeTypes();

  it('has every text the editor and the runtime look up by a literal key', function () {
    const english = new Map(types.map((t) => [t, flatten({ [t]: readCatalog('en-US', t)?.[t] ?? {} })]));
    const missing: string[] = [];
    let checked = 0;
    for (const file of filesUsingKeys()) {
      for (const key of literalKeys(fs.readFileSync(file, 'utf8'), types)) {
        checked++;
        const catalog = english.get(key.slice(0, key.indexOf('.'))) as Map<string, string>;
        // i18next plural forms: `key_one`/`key_other` (or `key_plural`) stand for `key`
        const found = ['', '_one', '_other', '_plural'].some((suffix) => catalog.has(key + suffix));
        if (!found) missing.push(`${key} (${path.relative(root, file)})`);
      }
    }
    assert.ok(checked > 50, `looked up ${checked} literal keys`);
    assert.deepEqual([...new Set(missing)], [], 'keys used but missing in nodes/locales/en-US');
  });

  it('finds the package\'s node types', function () {
    assert.ok(types.includes('abm365-nas') && types.includes('abm365-query'), `types: ${types.join(', ')}`);
  });

  for (const type of types) {
    describe(type, function () {
      it('has a catalog in every language, with the same keys', function () {
        const catalogs = LANGS.map((lang) => readCatalog(lang, type));
        LANGS.forEach((lang, i) => assert.ok(catalogs[i], `nodes/locales/${lang}/${type}.json exists`));
        const [en, de] = catalogs.map((c) => flatten(c as Catalog));
        const missingInDe = [...en.keys()].filter((k) => !de.has(k));
        const missingInEn = [...de.keys()].filter((k) => !en.has(k));
        assert.deepEqual({ missingInDe, missingInEn }, { missingInDe: [], missingInEn: [] });
      });

      it('keeps every __placeholder__ of a text in its translation', function () {
        const en = flatten(readCatalog('en-US', type) ?? {});
        const de = flatten(readCatalog('de', type) ?? {});
        const differing = [...en]
          .filter(([key, text]) => de.has(key) && placeholders(text).join() !== placeholders(de.get(key) as string).join())
          .map(([key]) => key);
        assert.deepEqual(differing, [], 'texts whose placeholders differ between en-US and de');
      });

      it('has no empty text in either language', function () {
        for (const lang of LANGS) {
          const empty = [...flatten(readCatalog(lang, type) ?? {})].filter(([, text]) => text.trim() === '').map(([key]) => key);
          assert.deepEqual(empty, [], `empty texts in ${lang}`);
        }
      });

      it('has help in English and German that list the same message properties', function () {
        const en = readHelp('en-US', type);
        const de = readHelp('de', type);
        // Help left in the editor file would be shown to English users instead of the locales' one.
        const editor = fs.existsSync(path.join(nodesDir, `${type}.html`)) ? fs.readFileSync(path.join(nodesDir, `${type}.html`), 'utf8') : '';
        assert.equal(HELP_BLOCK(type).test(editor), false, `the help of ${type} is in nodes/locales/<lang>/${type}.html, not in nodes/${type}.html`);
        assert.ok(en && en.length > 300, `English help of ${type} in nodes/locales/en-US/${type}.html`);
        assert.ok(de && de.length > 300, `German help of ${type} in nodes/locales/de/${type}.html`);
        assert.deepEqual(documentedProperties(de), documentedProperties(en));
        assert.notEqual(de.replace(/\s+/g, ' '), en.replace(/\s+/g, ' '), 'the German help is translated');
      });

      it('is the help Node-RED serves: German to de and de-DE editors, English to the others', function () {
        const en = readHelp('en-US', type) as string;
        const de = readHelp('de', type) as string;
        for (const lang of ['de', 'de-DE']) assert.ok(helpServed(type, lang).includes(de), `${lang} gets the German help`);
        for (const lang of ['en-US', 'fr']) assert.ok(helpServed(type, lang).includes(en), `${lang} gets the English help`);
      });
    });
  }
});
