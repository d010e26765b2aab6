// The README is what users read on npm and in the Flow Library, where the package holds no
// docs/ folder: its pictures must come by absolute address, and its links must lead somewhere.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const IMAGE_BASE = 'https://raw.githubusercontent.com/abm365/node-red-synology/main/';

/** Markdown links and images outside code blocks: [text](target) and ![alt](target). */
function links(markdown: string): Array<{ image: boolean; target: string }> {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({ image: m[1] === '!', target: m[2] }));
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('README as npm and the Flow Library show it', function () {
  const all = links(readme);

  it('shows every picture by absolute address, of a file in docs/images/', function () {
    const images = all.filter((l) => l.image).map((l) => l.target);
    assert.ok(images.length >= 2, 'the README shows pictures');
    for (const src of images) {
      assert.ok(src.startsWith(`${IMAGE_BASE}docs/images/`), `${src} is an absolute address under ${IMAGE_BASE}docs/images/`);
      const file = path.join(root, src.slice(IMAGE_BASE.length));
      assert.ok(fs.existsSync(file), `${path.relative(root, file)} exists`);
    }
  });

  it('links only to files that exist and to headings it has', function () {
    const headings = new Set([...readme.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => anchor(m[1])));
    const broken: string[] = [];
    for (const { image, target } of all) {
      if (image || /^[a-z]+:/i.test(target)) continue;
      if (target.startsWith('#')) {
        if (!headings.has(target.slice(1))) broken.push(target);
      } else if (!fs.existsSync(path.join(root, decodeURIComponent(target.split('#')[0])))) {
        broken.push(target);
      }
    }
    assert.deepEqual(broken, []);
  });
});

describe('comments and tests cite documents of the repository', function () {
  const dirs = ['src', 'test', 'scripts', 'resources'];
  const files = dirs.flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true })
      .map(String)
      .filter((f) => /\.(ts|js)$/.test(f))
      .map((f) => path.join(root, dir, f)),
  );

  it('names docs by their path in the repository, and only sections they have', function () {
    const wrong: string[] = [];
    let cited = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const where = path.relative(root, file);
      for (const m of text.matchAll(/(^|[^\w/.-])((?:protocol|product|design|architecture|toolchain)\.md)/g)) wrong.push(`${where}: bare ${m[2]}`);
      for (const m of text.matchAll(/docs\/([\w.-]+\.md)(?: §(\d+))?/g)) {
        cited++;
        const doc = path.join(root, 'docs', m[1]);
        if (!fs.existsSync(doc)) wrong.push(`${where}: docs/${m[1]} does not exist`);
        else if (m[2] && !new RegExp(`^## ${m[2]}\\. `, 'm').test(fs.readFileSync(doc, 'utf8'))) wrong.push(`${where}: docs/${m[1]} has no §${m[2]}`);
      }
    }
    assert.ok(cited > 10, `found ${cited} citations`);
    assert.deepEqual(wrong, []);
  });
});
