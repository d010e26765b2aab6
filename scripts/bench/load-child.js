'use strict';
// How long loading this package's nodes takes, in a fresh process (nothing of ours in the
// require cache). Prints one JSON line.
//   nodered <userDir>: userDir holds the package installed as users install it (packed,
//            `npm install --omit=dev`: axios and its dependencies are its own copies, not
//            Node-RED's). Node-RED starts with the package hidden; then the package is put
//            back and loaded by Node-RED's own registry (`addModule`, what the palette
//            manager runs after an install): package scan, .html and locale files, require
//            of every node .js with its dependencies, and each node's init (registerType,
//            admin routes). Timed from the call to the promise resolving.
//   require: the repository's dist/nodes/*.js required and initialised with a stand-in RED
//            (our code and dependencies only, no Node-RED file handling).
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const mode = process.argv[2] || 'nodered';
const repoRoot = path.resolve(__dirname, '..', '..');

/** A file of this package (repository checkout or installed copy), not of a dependency. */
function isOurs(file) {
  if (!file || !file.includes(`${path.sep}dist${path.sep}`)) return false;
  const nm = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (nm < 0) return file.startsWith(repoRoot);
  return file.slice(nm + 14).startsWith(`@abm365${path.sep}node-red-synology${path.sep}`);
}

// Inclusive time of every require our files make of a dependency or a Node built-in
// (axios, node:http, ...): the rest of the load is our own code and Node-RED's file handling.
const dependencyMs = {};
const Module = require('node:module');
const originalLoad = Module._load;
Module._load = function (request, parent, _isMain) {
  if (!parent || !isOurs(parent.filename) || request.startsWith('.')) return originalLoad.apply(this, arguments);
  const t0 = performance.now();
  try {
    return originalLoad.apply(this, arguments);
  } finally {
    dependencyMs[request] = (dependencyMs[request] || 0) + performance.now() - t0;
  }
};

async function viaNodeRed(userDir) {
  const { startRuntime, PACKAGE } = require('./runtime');
  const { defaultNodeRedPath } = require('../lib/nodered');
  const scope = path.join(userDir, 'node_modules', '@abm365');
  const hidden = path.join(userDir, 'abm365-hidden-while-starting');
  if (fs.existsSync(hidden)) fs.renameSync(hidden, scope); // an earlier run was killed mid-way
  fs.renameSync(scope, hidden);
  let rt;
  try {
    rt = await startRuntime({ userDir });
  } finally {
    fs.renameSync(hidden, scope);
  }
  try {
    const runtimeDir = path.dirname(require.resolve('@node-red/runtime', { paths: [defaultNodeRedPath()] }));
    const registry = require(require.resolve('@node-red/registry', { paths: [runtimeDir] }));
    const t0 = performance.now();
    await registry.addModule(PACKAGE);
    const ms = performance.now() - t0;
    const info = registry.getModuleInfo(PACKAGE);
    const types = info ? Object.values(info.nodes).flatMap((n) => n.types) : [];
    const errors = info ? Object.values(info.nodes).filter((n) => n.err).map((n) => `${n.name}: ${n.err}`) : ['module not loaded'];
    return { ms, types: types.length, errors, nodeRedStartMs: rt.startMs };
  } finally {
    await rt.stop();
  }
}

function viaRequire() {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const files = Object.values(pkg['node-red'].nodes).map((f) => path.join(repoRoot, f));
  const types = [];
  const noop = () => undefined;
  const app = { get: noop, post: noop, put: noop, delete: noop, use: noop };
  const RED = {
    nodes: { registerType: (t) => types.push(t), createNode: noop, getNode: noop, getCredentials: noop },
    httpAdmin: app,
    auth: { needsPermission: () => (_req, _res, next) => next() },
    util: {},
    settings: {},
    log: { info: noop, warn: noop, error: noop, debug: noop, trace: noop },
    _: (s) => s,
  };
  const t0 = performance.now();
  for (const f of files) require(f)(RED);
  return { ms: performance.now() - t0, types: types.length, errors: [] };
}

(async () => {
  const result = mode === 'require' ? viaRequire() : await viaNodeRed(path.resolve(process.argv[3]));
  const deps = Object.fromEntries(Object.entries(dependencyMs).filter(([, ms]) => ms >= 0.5).map(([k, ms]) => [k, Math.round(ms * 10) / 10]));
  process.stdout.write(`${JSON.stringify({ mode, ...result, dependencyMs: deps })}\n`);
  process.exit(0);
})().catch((e) => {
  process.stderr.write(`load-child: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
