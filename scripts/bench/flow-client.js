'use strict';
// The client of the bench's "flow" case, in a process of its own (forked by scripts/bench.js)
// so that neither its CPU nor its event loop counts in the Node-RED process being measured.
// Each variant is one sequential request at a time over its own keep-alive connection:
//   an HTTP variant: GET <Node-RED>/<path>, body read to the end, status 200 checked;
//   "bare": the bare client's list_tasks against the simulator (scripts/bench/bare.js).
// The variants take turns in blocks, the order rotating block by block, so drift and GC
// debt spread evenly. Around each block it asks the bench for the CPU time of the Node-RED
// and simulator processes, and reads its own, so each variant's CPU per request is known
// per process. Answers over IPC: { times: { <variant>: [ms, ...] }, bytes, cpu }.
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { BareClient } = require('./bare');

/** One keep-alive connection to Node-RED; get(path) resolves with the body's length. */
function httpVariant(base, path) {
  const u = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const options = { host: u.hostname, port: Number(u.port), path, agent, headers: { Accept: 'application/json' } };
  return {
    agent,
    once: () =>
      new Promise((resolve, reject) => {
        const req = http.get(options, (res) => {
          let bytes = 0;
          res.on('data', (c) => (bytes += c.length));
          res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
          res.on('error', reject);
        });
        req.setTimeout(10000, () => req.destroy(new Error(`GET ${path}: no answer within 10 s (an error in the flow?)`)));
        req.on('error', reject);
      }),
  };
}

/** CPU time (us) of the Node-RED and simulator processes, asked of the bench over IPC. */
let asked = 0;
const answers = new Map();
process.on('message', (m) => {
  if (m && m.cpuOf !== undefined) {
    answers.get(m.cpuOf)(m.cpu);
    answers.delete(m.cpuOf);
  }
});
function cpuElsewhere() {
  const id = ++asked;
  return new Promise((resolve) => {
    answers.set(id, resolve);
    process.send({ cmd: 'cpu', id });
  });
}

const cpuUs = (u) => u.user + u.system;

async function run({ nodeRedUrl, simUrl, paths, warm, messages, block }) {
  const variants = {};
  const closers = [];
  for (const [name, p] of Object.entries(paths)) {
    const v = httpVariant(nodeRedUrl, p);
    variants[name] = v.once;
    closers.push(() => v.agent.destroy());
  }
  const bare = new BareClient(simUrl, { maxSockets: 1 });
  await bare.login();
  closers.push(() => bare.close());
  variants.bare = async () => JSON.stringify(await bare.listTasks()).length;
  const names = Object.keys(variants);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  // CPU (us) per request of each process, summed over the blocks of each variant.
  const cpu = Object.fromEntries(names.map((n) => [n, { nodeRed: 0, simulator: 0, client: 0 }]));
  const bytes = {};
  try {
    for (let i = 0; i < warm; i++) for (const n of names) bytes[n] = await variants[n]();
    for (let b = 0; b < messages / block; b++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(b + k) % names.length];
        const fn = variants[n];
        const list = times[n];
        const before = await cpuElsewhere();
        const own = process.cpuUsage();
        for (let i = 0; i < block; i++) {
          const t0 = performance.now();
          await fn();
          list.push(performance.now() - t0);
        }
        const ownUs = cpuUs(process.cpuUsage(own));
        const after = await cpuElsewhere();
        cpu[n].client += ownUs;
        cpu[n].nodeRed += after.nodeRed - before.nodeRed;
        cpu[n].simulator += after.simulator - before.simulator;
      }
    }
    for (const n of names) for (const k of Object.keys(cpu[n])) cpu[n][k] /= times[n].length;
    return { times, bytes, cpu };
  } finally {
    for (const c of closers) c();
  }
}

process.on('message', (m) => {
  if (!m || m.cmd !== 'run') return;
  run(m).then(
    (result) => process.send({ ok: true, result }, () => process.exit(0)),
    (e) => process.send({ ok: false, error: String((e && e.stack) || e) }, () => process.exit(1)),
  );
});
process.on('disconnect', () => process.exit(0));
