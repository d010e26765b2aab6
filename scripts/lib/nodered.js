'use strict';
// One harness for everything that runs a real Node-RED with this package installed the way
// users install it (packed tarball, `npm install --omit=dev` into a fresh userDir): the demo,
// the e2e and browser tests, soak and bench. Plain CommonJS so both scripts and the TS tests
// (through tsx) can load it. Every process and server it starts is tracked and stopped.
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');
const npmCli = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// ---------------------------------------------------------------------------------------
// Tracking: whatever we start, we stop.

const tracked = new Set(); // { stop(): Promise<void>, killNow(): void }

function track(handle) {
  tracked.add(handle);
  return () => tracked.delete(handle);
}

/** Stops everything this module started and has not stopped yet. */
async function stopAll() {
  const all = [...tracked];
  await Promise.allSettled(all.map((h) => h.stop()));
}

// A test runner that exits without after() hooks must not leave a Node-RED behind.
process.on('exit', () => {
  for (const h of tracked) {
    try {
      h.killNow();
    } catch {
      /* already gone */
    }
  }
});

// ---------------------------------------------------------------------------------------
// Ports

function isPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1: `preferred` when it is free, else one the OS hands out. */
async function freePort(preferred) {
  if (preferred && (await isPortFree(preferred))) return preferred;
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Pack and install

/** Folder of the Node-RED install to run: NODE_RED_PATH, else the dev dependency. */
function defaultNodeRedPath() {
  if (process.env.NODE_RED_PATH) return path.resolve(process.env.NODE_RED_PATH);
  return path.dirname(require.resolve('node-red/package.json', { paths: [repoRoot] }));
}

// Inputs of `build` + `npm pack`: when none changed, the cached tarball is still right.
const PACK_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.js', 'src', 'nodes', 'icons', 'examples', 'README.md', 'LICENSE'];

function listFiles(abs) {
  if (!fs.existsSync(abs)) return [];
  const st = fs.statSync(abs);
  if (st.isFile()) return [abs];
  const out = [];
  for (const name of fs.readdirSync(abs).sort()) out.push(...listFiles(path.join(abs, name)));
  return out;
}

function packInputsHash(root) {
  const hash = crypto.createHash('sha256');
  for (const rel of PACK_INPUTS) {
    for (const file of listFiles(path.join(root, rel))) {
      hash.update(path.relative(root, file).split(path.sep).join('/'));
      hash.update('\0');
      hash.update(fs.readFileSync(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * True when dist/ was built after the last change to its sources and holds every node's
 * .js and .html (as right after `npm test`'s own build): no need to build again.
 */
function distIsFresh(root) {
  try {
    return distIsNewer(root);
  } catch (err) {
    // A build running elsewhere may empty dist/ while we read it: then it is not fresh.
    if (err && err.code === 'ENOENT') return false;
    throw err;
  }
}

function distIsNewer(root) {
  const dist = path.join(root, 'dist');
  if (!fs.existsSync(dist)) return false;
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const js of Object.values((pkg['node-red'] && pkg['node-red'].nodes) || {})) {
    if (!fs.existsSync(path.join(root, js)) || !fs.existsSync(path.join(root, js.replace(/\.js$/, '.html')))) return false;
  }
  const inputs = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.js', 'src', 'nodes'].flatMap((rel) => listFiles(path.join(root, rel)));
  const built = listFiles(dist);
  if (built.length === 0) return false;
  const newestInput = Math.max(...inputs.map((f) => fs.statSync(f).mtimeMs));
  const oldestBuilt = Math.min(...built.map((f) => fs.statSync(f).mtimeMs));
  return oldestBuilt > newestInput;
}

function run(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...opts });
  } catch (err) {
    const out = [err.stdout, err.stderr].filter(Boolean).join('\n').trim();
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${err.status}):\n${out.slice(-4000)}`);
  }
}

/**
 * Builds the package and packs it; returns the tarball's path. Cached by a hash of the
 * package's sources under node_modules/.cache/abm365-pack, so repeated runs don't repack.
 */
async function packPackage(root = repoRoot, opts = {}) {
  root = path.resolve(root);
  const cacheDir = opts.cacheDir || path.join(root, 'node_modules', '.cache', 'abm365-pack');
  const key = packInputsHash(root);
  const keyed = path.join(cacheDir, key);
  if (!opts.force && fs.existsSync(keyed)) {
    const tgz = fs.readdirSync(keyed).find((f) => f.endsWith('.tgz'));
    if (tgz) return path.join(keyed, tgz);
  }
  const log = opts.log || (() => {});
  if (opts.force || !distIsFresh(root)) {
    log('building the package');
    run(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root });
  }
  // Pack into a private folder, then rename: a parallel run never sees half a tarball.
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, `.tmp-${key}-`));
  log('packing the package');
  // The build just ran: skip `prepack`, which would run it a second time.
  const out = run(npmCli, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root });
  const info = JSON.parse(out.slice(out.indexOf('[')));
  const tgz = info[0].filename.replace(/^@/, '').replace(/\//g, '-');
  if (!fs.existsSync(path.join(tmp, tgz))) throw new Error(`npm pack wrote no ${tgz} in ${tmp}`);
  try {
    fs.renameSync(tmp, keyed);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another run cached the same key first
  }
  // Keep the cache small: the few newest keys only.
  const keys = fs
    .readdirSync(cacheDir)
    .filter((k) => !k.startsWith('.tmp-'))
    .map((k) => ({ k, t: fs.statSync(path.join(cacheDir, k)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { k } of keys.slice(4)) if (k !== key) fs.rmSync(path.join(cacheDir, k), { recursive: true, force: true });
  return path.join(keyed, tgz);
}

/**
 * Makes `dir` a Node-RED userDir with the tarball installed as a user would
 * (`npm install --omit=dev`, no links). Skips the install when the same tarball is
 * already in place. `nodeRedPath` is accepted for symmetry: Node-RED itself is not
 * installed into the userDir, it runs from its own folder.
 */
async function installUserDir(dir, tarball, opts = {}) {
  void opts;
  dir = path.resolve(dir);
  fs.mkdirSync(dir, { recursive: true });
  const tarHash = crypto.createHash('sha256').update(fs.readFileSync(tarball)).digest('hex');
  const marker = path.join(dir, '.abm365-installed');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === tarHash) return;
  const pkgFile = path.join(dir, 'package.json');
  if (!fs.existsSync(pkgFile)) {
    fs.writeFileSync(pkgFile, JSON.stringify({ name: 'node-red-project', description: 'A Node-RED project', version: '0.0.1', private: true }, null, 2));
  }
  // A copy in the userDir keeps package.json's file: reference valid after the cache moves on.
  const local = path.join(dir, 'abm365-package.tgz');
  fs.copyFileSync(tarball, local);
  run(npmCli, ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-update-notifier', '--prefer-offline', './abm365-package.tgz'], { cwd: dir });
  fs.writeFileSync(marker, tarHash);
}

// ---------------------------------------------------------------------------------------
// Settings

function hashPassword(password, nodeRedPath) {
  const bcrypt = require(require.resolve('bcryptjs', { paths: [nodeRedPath || defaultNodeRedPath()] }));
  return bcrypt.hashSync(password, 8);
}

/**
 * Writes `dir/settings.js`. `adminAuth` is Node-RED's object, or `{ username, password }`
 * (plain password, hashed here; full permissions). `extra` is merged last (JSON values).
 */
function writeSettings(dir, opts) {
  const { port, credentialSecret, adminAuth, contextStorage, extra } = opts;
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret,
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };
  if (adminAuth) {
    settings.adminAuth =
      adminAuth.type || adminAuth.users
        ? adminAuth
        : { type: 'credentials', users: [{ username: adminAuth.username, password: hashPassword(adminAuth.password, opts.nodeRedPath), permissions: '*' }] };
  }
  if (contextStorage) settings.contextStorage = contextStorage;
  Object.assign(settings, extra || {});
  const file = path.join(dir, 'settings.js');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, `// Written by scripts/lib/nodered.js\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return file;
}

// ---------------------------------------------------------------------------------------
// The Node-RED process

/**
 * Starts `node <node-red>/red.js --userDir D --settings D/settings.js` and resolves once
 * the server listens and the flows have started. `echo` streams its output to ours.
 */
async function startNodeRed(opts) {
  const userDir = path.resolve(opts.userDir);
  const nodeRedPath = opts.nodeRedPath ? path.resolve(opts.nodeRedPath) : defaultNodeRedPath();
  const settingsFile = opts.settings || path.join(userDir, 'settings.js');
  const timeoutMs = opts.timeoutMs || 60000;
  // parent-watch: Node-RED stops itself if we die without stopping it (no orphans).
  const args = ['--require', path.join(__dirname, 'parent-watch.js'), path.join(nodeRedPath, 'red.js'), '--userDir', userDir, '--settings', settingsFile];
  if (opts.port) args.push('--port', String(opts.port));
  const child = spawn(process.execPath, args, {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: '', ...(opts.env || {}), ABM365_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = null;
  const waiters = new Set();
  const onData = (chunk) => {
    const s = chunk.toString();
    output += s;
    if (opts.echo) process.stdout.write(s);
    for (const w of [...waiters]) w.check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      for (const w of [...waiters]) w.check();
      resolve(exited);
    });
  });

  /** Resolves with the match of `re` in the output after `from` (default: all output). */
  function waitFor(re, ms = 30000, from = 0) {
    return new Promise((resolve, reject) => {
      const w = {
        check() {
          const m = re.exec(output.slice(from));
          if (m) return finish(null, m);
          if (exited) finish(new Error(`Node-RED exited (${exited.signal || exited.code}) before ${re}:\n${output.slice(-3000)}`));
        },
      };
      const timer = setTimeout(() => finish(new Error(`no ${re} from Node-RED within ${ms} ms:\n${output.slice(-3000)}`)), ms);
      function finish(err, m) {
        clearTimeout(timer);
        waiters.delete(w);
        if (err) reject(err);
        else resolve(m);
      }
      waiters.add(w);
      w.check();
    });
  }

  let stopping = null;
  const handle = {
    pid: child.pid,
    url: '',
    process: child,
    logs: () => output,
    waitFor,
    /** Length of the output so far: pass it to waitFor as `from` to wait for a new line. */
    mark: () => output.length,
    exited: () => exited,
    stop(ms = 8000) {
      if (!stopping) {
        stopping = (async () => {
          if (!exited) {
            child.kill('SIGINT');
            const timer = setTimeout(() => {
              if (!exited) child.kill('SIGKILL');
            }, ms);
            await exitPromise;
            clearTimeout(timer);
          }
          untrack();
        })();
      }
      return stopping;
    },
    killNow() {
      if (!exited) child.kill('SIGKILL');
    },
  };
  const untrack = track(handle);
  try {
    const m = await waitFor(/Server now running at (https?:\/\/\S+?)\/?\s*$/m, timeoutMs);
    handle.url = m[1].replace(/\/$/, '');
    await waitFor(/Started flows/, timeoutMs);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

// ---------------------------------------------------------------------------------------
// Admin API

/** A small JSON HTTP client (no dependency). Resolves `{ status, headers, body, text }`. */
function request(method, url, opts = {}) {
  return new Promise((resolve, reject) => {
    const headers = { Accept: 'application/json', ...(opts.headers || {}) };
    let payload;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      if (!headers['Content-Type']) headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const req = http.request(url, { method, headers, timeout: opts.timeoutMs || 15000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode, headers: res.headers, body, text });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${opts.timeoutMs || 15000} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function expectOk(res, what) {
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 500)}`);
  return res.body;
}

/** An admin token for a Node-RED with `adminAuth` (credentials type). */
async function getToken(url, username, password) {
  const res = await request('POST', `${url}/auth/token`, {
    body: { client_id: 'node-red-admin', grant_type: 'password', scope: '*', username, password },
  });
  return (await expectOk(res, 'POST /auth/token')).access_token;
}

/**
 * Deploys `flows` (full deploy). Config node credentials go in each node's `credentials`
 * property: Node-RED stores them encrypted and never returns them. Resolves `{ rev }`.
 * The answer comes before the new flows have started: see injectNode / waitForDeploy.
 */
async function deployFlows(url, flows, opts = {}) {
  const res = await request('POST', `${url}/flows`, {
    token: opts.token,
    headers: { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': opts.type || 'full' },
    body: { flows },
  });
  return expectOk(res, 'POST /flows');
}

/** `{ rev, flows }` as the runtime holds them (credentials left out). */
async function getFlows(url, opts = {}) {
  const res = await request('GET', `${url}/flows`, { token: opts.token, headers: { 'Node-RED-API-Version': 'v2' } });
  return expectOk(res, 'GET /flows');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Presses an inject node's button (POST /inject/:id), retrying while the node does not
 * exist yet (404: a fresh deploy's flows are still starting), for up to `timeoutMs`.
 */
async function injectNode(url, id, opts = {}) {
  const deadline = Date.now() + (opts.timeoutMs || 15000);
  for (;;) {
    const res = await request('POST', `${url}/inject/${encodeURIComponent(id)}`, { token: opts.token, body: {} });
    if (res.status === 200) return;
    if (res.status !== 404 || Date.now() > deadline) throw new Error(`POST /inject/${id}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------
// Debug output, through the editor's own websocket (/comms, topic "debug")

/** Turns a debug node's encoded `msg` (RED.util.encodeObject) back into a value. */
function decodeDebugValue(format, encoded) {
  if (typeof encoded !== 'string') return encoded;
  const f = String(format || '');
  if (f.startsWith('string') || f.startsWith('buffer') || f === 'regexp' || f === 'function') return encoded;
  if (f === 'number') return Number(encoded);
  if (f === 'boolean') return encoded === 'true';
  if (f === 'null') return null;
  if (f === 'undefined') return undefined;
  try {
    // Objects, arrays, errors: JSON with `{ __enc__, type, data }` stand-ins for what JSON can't hold.
    return JSON.parse(encoded, (_k, v) => {
      if (v && typeof v === 'object' && v.__enc__) {
        if (v.type === 'undefined') return undefined;
        if (v.type === 'number') return Number(v.data);
        if (v.type === 'function') return '[function]';
        if (v.type === 'internal') return '[internal]';
        return v.data;
      }
      return v;
    });
  } catch {
    return encoded;
  }
}

function loadWs(nodeRedPath) {
  for (const base of [nodeRedPath || defaultNodeRedPath(), repoRoot]) {
    try {
      return require(require.resolve('ws', { paths: [base] }));
    } catch {
      /* next */
    }
  }
  throw new Error('the "ws" package (a dependency of Node-RED) was not found');
}

/**
 * Opens the admin websocket and collects what the runtime publishes: debug node output
 * (`debug()`), node status (`status/<id>`) and notifications. Uses the `ws` package that
 * Node-RED itself depends on (Node 20's WebSocket is still experimental).
 */
function connectComms(url, opts = {}) {
  const WebSocket = loadWs(opts.nodeRedPath);
  const topics = opts.topics || ['debug', 'status/#', 'notification/#'];
  const events = [];
  const waiters = new Set();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/comms`);
    let opened = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no websocket connection to /comms within 10 s'));
    }, 10000);
    const comms = {
      /** Every packet received: `{ topic, data, at }`. */
      events,
      /** Debug messages so far: `{ id, name, topic, property, format, value, at }`. */
      debug() {
        return events.filter((e) => e.topic === 'debug').map((e) => e.debug);
      },
      clear() {
        events.length = 0;
      },
      /** Number of events so far: pass it as `from` to wait only for newer ones. */
      mark() {
        return events.length;
      },
      /** Resolves with the first debug message (from index `from` on) that `pred` accepts. */
      waitForDebug(pred, ms = 15000, what = 'a debug message', from = 0) {
        return comms.waitFor((e) => e.topic === 'debug' && pred(e.debug), ms, what, from).then((e) => e.debug);
      },
      /** Resolves once `count` debug messages (from index `from` on) match `pred`, with them all. */
      async waitForDebugCount(pred, count, ms = 15000, what = 'debug messages', from = 0) {
        const matching = () =>
          events
            .slice(from)
            .filter((e) => e.topic === 'debug' && pred(e.debug))
            .map((e) => e.debug);
        await comms.waitFor(() => matching().length >= count, ms, `${count} ${what}`, from);
        return matching();
      },
      waitFor(pred, ms = 15000, what = 'a comms event', from = 0) {
        const found = events.slice(from).find(pred);
        if (found) return Promise.resolve(found);
        return new Promise((res, rej) => {
          const w = { pred, res };
          const t = setTimeout(() => {
            waiters.delete(w);
            const seen = events
              .slice(from)
              .filter((e) => e.topic === 'debug')
              .map((e) => `${e.debug.name || e.debug.id}: ${JSON.stringify(e.debug.value)}`.slice(0, 300))
              .join('\n  ');
            rej(new Error(`timed out after ${ms} ms waiting for ${what}; debug output meanwhile:\n  ${seen || '(none)'}`));
          }, ms);
          w.res = (e) => {
            clearTimeout(t);
            res(e);
          };
          waiters.add(w);
        });
      },
      close() {
        untrack();
        return new Promise((res) => {
          if (ws.readyState === WebSocket.CLOSED) return res();
          ws.once('close', () => res());
          ws.close();
          setTimeout(() => {
            ws.terminate();
            res();
          }, 1000).unref();
        });
      },
    };
    const untrack = track({ stop: () => comms.close(), killNow: () => ws.terminate() });
    const subscribe = () => {
      for (const t of topics) ws.send(JSON.stringify({ subscribe: t }));
      opened = true;
      clearTimeout(timer);
      resolve(comms);
    };
    ws.on('open', () => {
      // With adminAuth, Node-RED drops the connection when a subscribe comes before its
      // {auth:"ok"}: subscribe once the token is accepted (see the message handler).
      if (opts.token) ws.send(JSON.stringify({ auth: opts.token }));
      else subscribe();
    });
    ws.on('message', (data) => {
      let packets;
      try {
        packets = JSON.parse(String(data));
      } catch {
        return;
      }
      if (packets && packets.auth && !opened) {
        if (packets.auth === 'ok') subscribe();
        else {
          clearTimeout(timer);
          ws.terminate();
          reject(new Error(`/comms refused the token (auth: ${packets.auth})`));
        }
        return;
      }
      if (!Array.isArray(packets)) packets = [packets];
      for (const p of packets) {
        if (!p || !p.topic || p.topic === 'hb') continue;
        const e = { topic: p.topic, data: p.data, at: Date.now() };
        if (p.topic === 'debug' && p.data) {
          const d = p.data;
          e.debug = { id: d.id, z: d.z, name: d.name, topic: d.topic, property: d.property, format: d.format, value: decodeDebugValue(d.format, d.msg), at: e.at };
        }
        events.push(e);
        for (const w of [...waiters]) {
          let ok = false;
          try {
            ok = w.pred(e);
          } catch {
            ok = false;
          }
          if (ok) {
            waiters.delete(w);
            w.res(e);
          }
        }
      }
    });
    ws.on('error', (err) => {
      if (!opened) {
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

/**
 * Waits until the runtime says the deploy of `rev` has started its flows
 * (notification/runtime-deploy on /comms).
 */
function waitForDeploy(comms, rev, ms = 15000) {
  return comms.waitFor((e) => e.topic === 'notification/runtime-deploy' && e.data && e.data.revision === rev, ms, `flows of revision ${rev} to start`);
}

// ---------------------------------------------------------------------------------------
// Example flows

const EXAMPLES_DIR = path.join(repoRoot, 'examples');

/** `[{ file, title, flow }]` of examples/*.json, in file-name order. */
function loadExamples(dir = EXAMPLES_DIR) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, title: file.replace(/\.json$/, '').replace(/^\d+\s*/, ''), flow: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) }));
}

/**
 * Puts each example on its own tab and makes every `abm365-nas` reference point at ONE
 * config node built from the examples' own and `nas` (`{ host, port, protocol, tlsMode,
 * fingerprint, ..., credentials }`). Node ids stay as they are, unless two examples share
 * one: then that example's copies get the prefix `ex<N>`.
 */
function mergeExamples(examples, nas, opts = {}) {
  const nasId = opts.nasId || 'abm365nasdemo';
  const out = [];
  const base = examples.flatMap((e) => e.flow).find((n) => n.type === 'abm365-nas') || {};
  const { credentials, ...nasProps } = nas;
  const configNode = { ...base, ...nasProps, id: nasId, type: 'abm365-nas' };
  delete configNode.z;
  if (credentials) configNode.credentials = credentials;
  const seen = new Map(); // id -> how many examples hold it
  for (const ex of examples) for (const n of ex.flow) if (n.type !== 'abm365-nas') seen.set(n.id, (seen.get(n.id) || 0) + 1);
  examples.forEach((ex, i) => {
    const prefix = `ex${i + 1}`;
    const tabId = `abm365tab${i + 1}`;
    const nasIds = new Set(ex.flow.filter((n) => n.type === 'abm365-nas').map((n) => n.id));
    const mapId = (id) => (nasIds.has(id) ? nasId : seen.get(id) > 1 || id === nasId ? `${prefix}${id}` : id);
    out.push({ id: tabId, type: 'tab', label: ex.title, disabled: false, info: '', env: [] });
    for (const n of ex.flow) {
      if (nasIds.has(n.id) || n.type === 'tab') continue;
      const copy = JSON.parse(JSON.stringify(n));
      copy.id = mapId(n.id);
      copy.z = tabId;
      if (copy.g) copy.g = mapId(copy.g);
      if (typeof copy.nas === 'string') copy.nas = mapId(copy.nas);
      if (Array.isArray(copy.wires)) copy.wires = copy.wires.map((port) => port.map(mapId));
      for (const key of ['links', 'scope', 'nodes']) if (Array.isArray(copy[key])) copy[key] = copy[key].map(mapId);
      out.push(copy);
    }
  });
  out.push(configNode);
  return out;
}

module.exports = {
  repoRoot,
  freePort,
  isPortFree,
  defaultNodeRedPath,
  packPackage,
  installUserDir,
  writeSettings,
  startNodeRed,
  request,
  getToken,
  deployFlows,
  getFlows,
  injectNode,
  connectComms,
  waitForDeploy,
  decodeDebugValue,
  loadExamples,
  mergeExamples,
  track,
  stopAll,
  sleep,
};
