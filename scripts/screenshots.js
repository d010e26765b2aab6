#!/usr/bin/env node
'use strict';
// Regenerates the README's screenshots in docs/images/ (flow.png, nas-dialog.png and one
// <type>-dialog.png per flow node) by running the browser tests with ABM365_DOCS_IMAGES=1:
// the pictures are what the tests see, taken only from a passing run's steps.
// Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH): `apt-get install chromium`.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  console.error(`no Chromium at ${chromium}: apt-get install chromium (or set CHROMIUM_PATH)`);
  process.exit(1);
}
const mocha = require.resolve('mocha/bin/mocha.js', { paths: [root] });
const run = spawnSync(process.execPath, [mocha, 'test/browser/**/*.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ABM365_DOCS_IMAGES: '1' },
});
const dir = path.join(root, 'docs', 'images');
if (fs.existsSync(dir)) {
  let total = 0;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.png')).sort()) {
    const size = fs.statSync(path.join(dir, f)).size;
    total += size;
    console.log(`${String(Math.round(size / 1024)).padStart(5)} KB  docs/images/${f}`);
  }
  console.log(`${String(Math.round(total / 1024)).padStart(5)} KB  in all`);
}
process.exit(run.status === 0 ? 0 : 1);
