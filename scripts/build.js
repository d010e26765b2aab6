#!/usr/bin/env node
'use strict';
// Build: compile src/ to dist/ with tsc, then place each node's editor file (.html),
// message catalog and icons beside its compiled .js, because tsc copies none of them.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
const editorSrc = path.join(root, 'nodes');
const editorDst = path.join(dist, 'nodes');
fs.mkdirSync(editorDst, { recursive: true });
for (const name of fs.readdirSync(editorSrc)) {
  if (name.endsWith('.html')) fs.copyFileSync(path.join(editorSrc, name), path.join(editorDst, name));
}
fs.cpSync(path.join(editorSrc, 'locales'), path.join(editorDst, 'locales'), { recursive: true });
// Node-RED looks for a node's icons in an icons/ folder beside its .js file.
fs.cpSync(path.join(root, 'icons'), path.join(editorDst, 'icons'), { recursive: true });
const cli = path.join(dist, 'simulator', 'cli.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
