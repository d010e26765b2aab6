// The package's message catalogs as Node-RED's runtime reads them, for tests: RED._ in the test
// helper returns the key itself, so node tests install catalogText instead and see the texts a
// user sees. Keys may carry a node set's namespace (`<module>/<set>:key`), as Node-RED's do.
import * as fs from 'node:fs';
import * as path from 'node:path';

const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales');

const catalogs = new Map<string, Record<string, unknown>>();

/** Every catalog of one language merged (each file's top key is its node type). */
export function catalog(lang = 'en-US'): Record<string, unknown> {
  let merged = catalogs.get(lang);
  if (!merged) {
    merged = {};
    const dir = path.join(LOCALES, lang);
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      Object.assign(merged, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>);
    }
    catalogs.set(lang, merged);
  }
  return merged;
}

/** The text of `key` with `__name__` substitutions, or the key itself when the catalog lacks it (as i18next does). */
export function catalogText(key: string, args: Record<string, unknown> = {}, lang = 'en-US'): string {
  const bare = key.includes(':') ? key.slice(key.indexOf(':') + 1) : key;
  let value: unknown = catalog(lang);
  for (const part of bare.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  if (typeof value !== 'string') return key;
  return value.replace(/__(\w+)__/g, (all, name: string) => (name in args ? String(args[name]) : all));
}
