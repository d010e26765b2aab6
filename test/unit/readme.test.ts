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
