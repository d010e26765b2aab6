#!/usr/bin/env node
'use strict';
// `npm test`: build, then run every test layer this machine can run, and end with one line
// `N passed, N failed[, N skipped]` summing them all.
//   unit     src/dsm, src/abm, src/monitor, src/simulator against the simulator over HTTP(S)
//   nodes    the nodes in node-red-node-test-helper (Node-RED 4.1; again on Node-RED 3.1
//            when ABM365_NR31 names a Node-RED 3.1 install, as .ci/run does)
//   e2e      a real Node-RED process with the packed package
//   mqtt     Home Assistant over a real Mosquitto broker (skipped, and said so, without Mosquitto)
//   browser  the editor in headless Chromium (skipped, and said so, without Chromium)
// Layers can be picked: `npm test -- unit nodes`.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const mocha = require.resolve('mocha/bin/mocha.js');
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const mosquitto = process.env.MOSQUITTO_PATH || '/usr/sbin/mosquitto';
const wanted = process.argv.slice(2);

const layers = [
  { name: 'unit', glob: 'test/unit/**/*.test.ts' },
  { name: 'nodes', glob: 'test/nodes/**/*.test.ts' },
  ...(process.env.ABM365_NR31
    ? [{ name: 'nodes on Node-RED 3.1', key: 'nodes', glob: 'test/nodes/**/*.test.ts', env: { NODE_RED_PATH: process.env.ABM365_NR31 } }]
    : []),
  { name: 'e2e', glob: 'test/e2e/**/*.test.ts' },
  { name: 'mqtt', glob: 'test/mqtt/**/*.test.ts', needs: () => (fs.existsSync(mosquitto) ? null : `no Mosquitto at ${mosquitto} (apt-get install mosquitto)`) },
  { name: 'browser', glob: 'test/browser/**/*.test.ts', needs: () => (fs.existsSync(chromium) ? null : `no Chromium at ${chromium} (apt-get install chromium)`) },
];

function hasTests(glob) {
  const dir = path.join(root, glob.split('/**')[0]);
  return fs.existsSync(dir) && fs.readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.test.ts'));
}

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
for (const layer of layers) {
  if (wanted.length && !wanted.includes(layer.key || layer.name)) continue;
  if (!hasTests(layer.glob)) continue;
  const reason = layer.needs && layer.needs();
  if (reason) {
    lines.push(`${layer.name}: SKIPPED (${reason})`);
    console.log(`\n== ${layer.name}: skipped: ${reason}`);
    continue;
  }
  console.log(`\n== ${layer.name}`);
  const countFile = path.join(os.tmpdir(), `abm365-count-${process.pid}-${layer.name.replace(/\W+/g, '_')}.json`);
  fs.rmSync(countFile, { force: true });
  const run = spawnSync(
    process.execPath,
    [mocha, '--reporter', path.join(root, 'test/support/count-reporter.js'), layer.glob],
    { cwd: root, stdio: 'inherit', env: { ...process.env, ...layer.env, ABM365_COUNT_FILE: countFile } },
  );
  let c = { passed: 0, failed: 1, skipped: 0 };
  try {
    c = JSON.parse(fs.readFileSync(countFile, 'utf8'));
    if (run.status !== 0 && c.failed === 0) c.failed = 1; // mocha died after counting
  } catch {
    console.log(`${layer.name}: mocha exited ${run.status} without counts`);
  }
  fs.rmSync(countFile, { force: true });
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
  lines.push(`${layer.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
}
console.log('\n== summary');
for (const l of lines) console.log(l);
if (process.env.ABM365_TOTAL_FILE) fs.writeFileSync(process.env.ABM365_TOTAL_FILE, JSON.stringify(total));
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed === 0 && total.passed > 0 ? 0 : 1);
