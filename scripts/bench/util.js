'use strict';
// Small helpers of the benchmark: statistics, garbage collection, RSS sampling off the main
// thread, a CPU profiler around one case, and running child scripts.
const fs = require('node:fs');
const inspector = require('node:inspector');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { setImmediate: immediate } = require('node:timers/promises');
const { Worker } = require('node:worker_threads');

const MB = 1024 * 1024;

function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

function median(values) {
  if (values.length === 0) return NaN;
  const s = sorted(values);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0-100). */
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = sorted(values);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function round(n, digits = 3) {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Full collections, with turns of the event loop between them so finalizers can run. */
async function fullGc(times = 6) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  for (let i = 0; i < times; i++) {
    globalThis.gc();
    await immediate();
    await sleep(5);
  }
}

/**
 * Samples process.memoryUsage.rss() every `ms` in a worker thread, so a long synchronous
 * stretch on the main thread (JSON.parse of a page, decorating 100,000 lines) does not hide
 * the peak. RSS is per process, so the worker sees the main thread's memory.
 */
async function rssSampler(ms = 5) {
  const code = `
    const { parentPort } = require('node:worker_threads');
    let peak = 0;
    const tick = () => { const r = process.memoryUsage.rss(); if (r > peak) peak = r; };
    const timer = setInterval(tick, ${ms});
    parentPort.on('message', (m) => {
      if (m === 'reset') { peak = 0; tick(); parentPort.postMessage({ reset: true }); }
      if (m === 'peak') { tick(); parentPort.postMessage({ peak }); }
      if (m === 'stop') { clearInterval(timer); parentPort.close(); }
    });
    parentPort.postMessage({ ready: true });
  `;
  const worker = new Worker(code, { eval: true });
  const next = () => new Promise((resolve) => worker.once('message', resolve));
  await next();
  return {
    async reset() {
      worker.postMessage('reset');
      await next();
    },
    async peak() {
      worker.postMessage('peak');
      return (await next()).peak;
    },
    async stop() {
      worker.postMessage('stop');
      await worker.terminate();
    },
  };
}

/** Runs `fn` under the V8 CPU profiler; writes the .cpuprofile and returns a self-time summary. */
async function profile(name, fn, { dir = os.tmpdir(), top = 25 } = {}) {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  try {
    await fn();
  } finally {
    const { profile: prof } = await post('Profiler.stop');
    session.disconnect();
    const file = path.join(dir, `abm365-bench-${name}-${process.pid}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(prof));
    module.exports.lastProfile = { file, summary: summarizeProfile(prof, top) };
  }
  return module.exports.lastProfile;
}

/** Where a profiled function lives, in words a reader of this repo knows. */
function area(url) {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm < 0 && url.includes('/dist/')) return `ours: ${url.slice(url.lastIndexOf('/dist/') + 1)}`;
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  return url;
}

function summarizeProfile(prof, top) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] || 0;
    total += dt;
    self.set(prof.samples[i], (self.get(prof.samples[i]) || 0) + dt);
  }
  const fns = new Map();
  const areas = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) || 0) + us);
    const a = ['(idle)', '(program)', '(garbage collector)'].includes(cf.functionName) ? cf.functionName : area(cf.url);
    areas.set(a, (areas.get(a) || 0) + us);
  }
  const list = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ what: k, ms: round(us / 1000, 1), pct: round((100 * us) / total, 1) }));
  return { totalMs: round(total / 1000, 1), functions: list(fns), areas: list(areas) };
}

/** Runs a node script; resolves with the JSON object on the last line of its stdout. */
function runJsonChild(script, args = [], { execArgv = [], timeoutMs = 60000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: env || process.env,
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    module.exports.children.add(child);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      module.exports.children.delete(child);
      const last = out.trim().split('\n').pop() || '';
      try {
        if (code !== 0) throw new Error(`exit ${code}${signal ? ` (${signal})` : ''}`);
        resolve(JSON.parse(last));
      } catch (e) {
        reject(new Error(`${path.basename(script)} ${args.join(' ')}: ${e.message}\n${out.slice(-2000)}`));
      }
    });
  });
}

module.exports = { MB, median, percentile, round, sleep, fullGc, rssSampler, profile, summarizeProfile, runJsonChild, children: new Set(), lastProfile: undefined };
