#!/usr/bin/env node
'use strict';
// The Flow Library's checks (`node-red-dev validate`) on what users get: the packed tarball,
// unpacked. The catalogue request is answered offline (scripts/lib/offline-catalogue.js).
// node-red-dev always exits 0, so this reads its scorecard and exits 1 when a check failed.
//   node scripts/validate.js [--path <package dir>] [-o <scorecard.json>]
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { packPackage, repoRoot } = require('./lib/nodered');

// What node-red-dev 0.1.x checks; a check missing from the scorecard means it never ran.
const CHECKS = {
  P01: 'licence declared',
  P03: 'repository or bugs link',
  P04: 'package name (scoped)',
  P05: '"node-red" keyword',
  P06: 'Node-RED version declared and current',
  P07: 'Node.js version declared',
  P08: 'no similarly named package',
  N01: 'node types unique in the Flow Library',
  N02: 'an example for every node',
  D01: 'few dependencies',
  D02: 'no incompatible dependencies',
  D03: 'dependencies at their latest versions',
};

function arg(names) {
  const i = process.argv.findIndex((a) => names.includes(a));
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const out = path.resolve(arg(['-o', '--output']) || path.join(repoRoot, 'test-artifacts', 'flow-library-scorecard.json'));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  let pkgDir = arg(['-p', '--path']);
  let tmp;
  if (pkgDir) {
    pkgDir = path.resolve(pkgDir);
  } else {
    const tarball = await packPackage(repoRoot, { log: (l) => console.log(`validate: ${l}`) });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'abm365-validate-'));
    execFileSync('tar', ['-xzf', tarball, '-C', tmp]);
    pkgDir = path.join(tmp, 'package');
    console.log(`validate: checking ${path.basename(tarball)} (unpacked)`);
  }
  const devDir = path.dirname(require.resolve('node-red-dev/package.json', { paths: [repoRoot] }));
  const run = spawnSync(
    process.execPath,
    ['--require', path.join(__dirname, 'lib', 'offline-catalogue.js'), path.join(devDir, 'bin', 'run'), 'validate', '-p', pkgDir, '-o', out],
    { cwd: pkgDir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 5 * 60 * 1000, maxBuffer: 16 * 1024 * 1024 },
  );
  const said = `${run.stdout || ''}${run.stderr || ''}`;
  process.stdout.write(said);
  // node-red-dev only logs an editor file it cannot read, and then checks N01/N02 against
  // no node at all: count on our side which node types it saw.
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const unparsed = [...said.matchAll(/Unable to parse\s+(\S+)/g)].map((m) => m[1]);
  const flowTypes = Object.entries(pkg['node-red'].nodes)
    .filter(([, js]) => {
      const html = path.join(pkgDir, js.replace(/\.js$/, '.html'));
      return !(fs.existsSync(html) && /category\s*:\s*['"]config['"]/.test(fs.readFileSync(html, 'utf8')));
    })
    .map(([type]) => type);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (!fs.existsSync(out)) {
    console.log(`validate: node-red-dev wrote no scorecard (exit ${run.status}${run.error ? `, ${run.error.message}` : ''})`);
    return 1;
  }
  const card = JSON.parse(fs.readFileSync(out, 'utf8'));
  let failed = 0;
  console.log(`\nFlow Library checks for ${card.package ? `${card.package.name}@${card.package.version}` : pkgDir} (scorecard: ${path.relative(process.cwd(), out)})`);
  for (const [id, what] of Object.entries(CHECKS)) {
    const c = card[id];
    const ok = !!c && c.test === true;
    if (!ok) failed++;
    const detail = c ? Object.entries(c).filter(([k]) => k !== 'test').map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ') : 'did not run';
    console.log(`  ${ok ? 'pass' : 'FAIL'}  ${id}  ${what}${detail ? `  (${detail})` : ''}`);
  }
  const extra = [
    ['html', 'every editor file parsed (literal registerType)', unparsed.length === 0, unparsed.length ? `unparsed: ${unparsed.join(', ')}` : ''],
  ];
  if (card.N02 && card.N02.test) {
    const covered = card.N02.nodes || [];
    const missing = flowTypes.filter((t) => !covered.includes(t));
    extra.push(['N02+', 'every flow node type of package.json in an example', missing.length === 0, missing.length ? `missing: ${missing.join(', ')}` : '']);
  }
  for (const [id, what, ok, detail] of extra) {
    if (!ok) failed++;
    console.log(`  ${ok ? 'pass' : 'FAIL'}  ${id}  ${what}${detail ? `  (${detail})` : ''}`);
  }
  for (const [id, c] of Object.entries(card)) {
    if (id === 'package' || id in CHECKS || !c || typeof c !== 'object') continue;
    const ok = c.test !== false;
    if (!ok) failed++;
    console.log(`  ${ok ? 'pass' : 'FAIL'}  ${id}`);
  }
  console.log(failed ? `validate: ${failed} check(s) failed` : 'validate: every check passed');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`validate: ${err.message}`);
    process.exit(1);
  },
);
