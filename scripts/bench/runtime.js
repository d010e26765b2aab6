'use strict';
// Node-RED embedded in the bench process (require('node-red'), RED.init/RED.start), loading
// this package the way Node-RED finds a user's package: from <userDir>/node_modules, here a
// link to the repository, so the built dist/nodes/*.js are what runs. No test helper: its
// sinon spies on every Node method would add their own cost and keep every msg alive.
// Flows are set through the runtime API (as POST /flows does), messages are injected with
// node.receive(msg) and collected at junction nodes.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { defaultNodeRedPath, repoRoot } = require('../lib/nodered');
const { readEditorDir } = require('../lib/node-defaults');

const PACKAGE = '@abm365/node-red-synology';
const TAB = 'bench-tab';

/** A temporary userDir; with the package linked into its node_modules when `withPackage`. */
function makeUserDir(withPackage) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abm365-bench-'));
  const scope = path.join(dir, 'node_modules', '@abm365');
  fs.mkdirSync(scope, { recursive: true });
  if (withPackage) linkPackage(dir);
  return dir;
}

function linkPackage(userDir) {
  fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', '@abm365', 'node-red-synology'), 'dir');
}

function settingsFor(userDir, extra = {}) {
  return {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: 'abm365-bench',
    uiHost: '127.0.0.1',
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: process.env.BENCH_NR_LOG || 'warn', metrics: false, audit: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    ...extra,
  };
}

/** Node JSON as the editor would deploy it: the editor defaults, then `props`. */
let editorDefs;
function withDefaults(type, props) {
  if (!editorDefs) editorDefs = readEditorDir(path.join(repoRoot, 'nodes'));
  const def = editorDefs[type];
  return { ...(def ? def.defaults : {}), ...props, type };
}

/** Counts what reaches a junction node; resolves waiters by count. */
class Sink {
  constructor(node) {
    this.count = 0;
    this.last = undefined;
    this.onMessage = undefined;
    this.waiters = [];
    node.on('input', (msg, _send, done) => {
      this.count++;
      this.last = msg;
      if (this.onMessage) this.onMessage(msg);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (this.count >= w.count) {
          this.waiters.splice(i, 1);
          clearTimeout(w.timer);
          w.resolve(msg);
        }
      }
      done();
    });
  }

  /** Resolves once `count` msgs arrived in total (rejects after ms). */
  waitFor(count, ms = 30000, what = 'messages') {
    if (this.count >= count) return Promise.resolve(this.last);
    return new Promise((resolve, reject) => {
      const w = { count, resolve };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${what}: ${this.count}/${count}`));
      }, ms);
      this.waiters.push(w);
    });
  }
}

class Runtime {
  constructor(RED, server, userDir, ownsUserDir) {
    this.RED = RED;
    this.server = server;
    this.userDir = userDir;
    this.ownsUserDir = ownsUserDir;
    this.deploys = 0;
  }

  node(id) {
    return this.RED.nodes.getNode(id);
  }

  /** Full deploy of `flows` (a tab is added); resolves once every node of it exists. */
  async deploy(flows) {
    const all = [{ id: TAB, type: 'tab', label: 'bench' }, ...flows.map((n) => (n.type === 'abm365-nas' ? n : { z: TAB, ...n }))];
    this.deploys++;
    await this.RED.runtime.flows.setFlows({ flows: { flows: all }, deploymentType: 'full' });
    const end = Date.now() + 10000;
    for (;;) {
      if (all.every((n) => n.type === 'tab' || this.node(n.id))) return;
      if (Date.now() > end) throw new Error('deployed flow did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  sink(id) {
    return new Sink(this.node(id));
  }

  async stop() {
    try {
      await this.RED.runtime.flows.setFlows({ flows: { flows: [] }, deploymentType: 'full' });
    } catch {
      /* stopping anyway */
    }
    await this.RED.stop();
    if (this.server.listening) this.server.closeAllConnections();
    await new Promise((r) => this.server.close(() => r()));
    if (this.ownsUserDir) fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

/**
 * Starts Node-RED in this process; resolves with the runtime and its start time (ms).
 * Without `userDir`, a temporary one with the package linked (`withPackage`), removed on stop.
 */
async function startRuntime({ withPackage = true, settings = {}, userDir: given, listen = false } = {}) {
  const userDir = given || makeUserDir(withPackage);
  const RED = require(defaultNodeRedPath());
  const server = http.createServer();
  const t0 = performance.now();
  RED.init(server, settingsFor(userDir, settings));
  await RED.start();
  const rt = new Runtime(RED, server, userDir, !given);
  rt.startMs = performance.now() - t0;
  if (listen) {
    // The flows' http in nodes, on 127.0.0.1 (as red.js mounts RED.httpNode; no editor here).
    server.on('request', RED.httpNode);
    await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    rt.url = `http://127.0.0.1:${server.address().port}`;
  }
  return rt;
}

// ---- flow builders ----------------------------------------------------------------------

function nasNode(id, simUrl, props = {}) {
  const u = new URL(simUrl);
  return withDefaults('abm365-nas', {
    id,
    name: 'bench',
    host: u.hostname,
    port: Number(u.port),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    tlsMode: 'insecure',
    credentials: { username: 'admin', password: 'synology' },
    ...props,
  });
}

function flowNode(type, id, nas, props = {}, wires = []) {
  return withDefaults(type, { id, nas, wires, ...props });
}

function junction(id) {
  return { id, type: 'junction', x: 0, y: 0, wires: [] };
}

/** Core nodes of Node-RED 4.1, with the properties the editor saves. */
function httpIn(id, url, wires) {
  return { id, type: 'http in', name: '', url, method: 'get', upload: false, swaggerDoc: '', x: 0, y: 0, wires };
}

function httpResponse(id) {
  return { id, type: 'http response', name: '', statusCode: '', headers: {}, x: 0, y: 0, wires: [] };
}

function fn(id, func, wires, initialize = '') {
  return { id, type: 'function', name: '', func, outputs: 1, timeout: 0, noerr: 0, initialize, finalize: '', libs: [], x: 0, y: 0, wires };
}

/** A catch node for the whole tab, into a junction: errors are counted, never lost. */
function catchAll(id, sinkId) {
  return [{ id, type: 'catch', name: '', scope: null, uncaught: false, wires: [[sinkId]] }, junction(sinkId)];
}

module.exports = { startRuntime, makeUserDir, linkPackage, settingsFor, withDefaults, nasNode, flowNode, junction, catchAll, httpIn, httpResponse, fn, Sink, PACKAGE, TAB };
