#!/usr/bin/env node
'use strict';
// npm run bench [-- --json] [--cases a,b] [--profile <case>] [--https] [--quick]
//
// Starts the simulator (a process of its own) and Node-RED embedded in this process with the
// built nodes (dist/), measures the simulator's capacity with a bare client, then runs each
// case against that one simulator, ours and a bare node:http baseline doing the same wire
// work, alternated to cancel drift. Prints a table; with --json, one JSON object with every
// figure as the last line. --profile <case> runs that case's "ours" part once more under the
// V8 CPU profiler and prints where the time goes (the .cpuprofile is kept in the temp dir).
// Cases: overhead, flow, burst, fanin, detect, nasload, biglog, longrun, load. Everything
// started is stopped.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const CASES = ['overhead', 'flow', 'burst', 'fanin', 'detect', 'nasload', 'biglog', 'longrun', 'load'];

function parseArgs(argv) {
  const opts = { json: false, cases: CASES, profile: undefined, https: false, quick: false, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = true;
    else if (a === '--https') opts.https = true;
    else if (a === '--quick') opts.quick = true;
    else if (a === '--no-build') opts.build = false;
    else if (a === '--cases') opts.cases = String(argv[++i] || '').split(',').filter(Boolean);
    else if (a === '--profile') opts.profile = argv[++i];
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`Usage: npm run bench -- [--json] [--cases ${CASES.join(',')}] [--profile <case>] [--https] [--quick] [--no-build]\n`);
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  for (const c of opts.cases) {
    if (!CASES.includes(c)) {
      process.stderr.write(`bench: unknown case ${c} (cases: ${CASES.join(', ')})\n`);
      process.exit(2);
    }
  }
  return opts;
}

// The long-run case reads the heap after full GCs: run again with --expose-gc if needed.
if (typeof globalThis.gc !== 'function') {
  const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, path.join(__dirname, 'bench.js'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code === null ? (signal === 'SIGINT' ? 130 : 1) : code));
  return;
}

const opts = parseArgs(process.argv.slice(2));

// ---- build ------------------------------------------------------------------------------

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/ or nodes/ (the bench measures dist). */
function ensureBuilt() {
  const marker = path.join(ROOT, 'dist', 'nodes', 'abm365-query.js');
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'nodes')));
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= sources) return;
  if (!opts.build) throw new Error('dist/ is missing or older than src/: run node scripts/build.js (or drop --no-build)');
  log('building dist/ (node scripts/build.js)');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

// ---- output helpers -----------------------------------------------------------------------

function log(line) {
  process.stderr.write(`bench: ${line}\n`);
}

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

// Loaded after the build: these modules read dist/ and the harness.
let U;
let R;
let BareClient;
let SimProcess;
const nrHarness = () => require('./lib/nodered');

// ---- cases --------------------------------------------------------------------------------

const N = {
  overheadMsgs: opts.quick ? 400 : 2000,
  overheadBlock: 100,
  overheadWarm: opts.quick ? 100 : 300,
  burstMsgs: 500,
  burstRounds: opts.quick ? 1 : 5,
  faninMonitors: 20,
  faninIntervals: 3,
  // The product's minimum interval: no floor can be lowered from outside any more.
  faninIntervalMs: 10_000,
  biglogLines: 100000,
  biglogLimit: 200,
  biglogRounds: opts.quick ? 1 : 5,
  longrunMsgs: opts.quick ? 4000 : 20000,
  longrunWarm: opts.quick ? 1000 : 2000,
  longrunWindow: 16,
  loadRuns: opts.quick ? 1 : 3,
  flowMsgs: opts.quick ? 400 : 2000,
  flowBlock: 100,
  flowWarm: opts.quick ? 100 : 300,
  detectInterval: 60,
  detectFast: 10,
  detectRounds: opts.quick ? 2 : 5,
  detectMonitors: 4,
  nasloadInterval: 10,
  nasloadFast: 3,
  nasloadIdleCycles: 3,
  nasloadFastCycles: 5,
};

/**
 * The simulator's capacity, through the bare client: the best request rate over 1, 4 and 8
 * connections kept busy (on 2 cores the client shares the machine, so this is a floor).
 */
async function capacity(sim) {
  const client = new BareClient(sim.url, { maxSockets: 8 });
  try {
    await client.login();
    for (let i = 0; i < 300; i++) await client.listTasks();
    const rates = {};
    for (const conns of [1, 4, 8]) {
      let done = 0;
      const t0 = performance.now();
      const end = t0 + 1000;
      await Promise.all(
        Array.from({ length: conns }, async () => {
          while (performance.now() < end) {
            await client.listTasks();
            done++;
          }
        }),
      );
      rates[conns] = done / ((performance.now() - t0) / 1000);
    }
    return { rps: Math.max(...Object.values(rates)), sequentialRps: rates[1], rates };
  } finally {
    client.close();
    await sim.reset();
  }
}

/** A sequential driver: one msg into `node`, resolve when it reaches `sink` (or an error does). */
function sequentialDriver(node, sink, errors) {
  let pending;
  sink.onMessage = () => {
    const p = pending;
    pending = undefined;
    if (p) p.resolve(performance.now());
  };
  errors.onMessage = (m) => {
    const p = pending;
    pending = undefined;
    if (p) p.reject(new Error(`error from the flow: ${m.error && m.error.message}`));
  };
  return (msg) =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      node.receive(msg);
    });
}

/** axios as the package's transport configures it (src/dsm/transport.ts), and nothing more. */
function plainAxios(simUrl, maxSockets = Infinity) {
  const axios = require(require.resolve('axios', { paths: [ROOT] }));
  const u = new URL(simUrl);
  const lib = u.protocol === 'https:' ? require('node:https') : require('node:http');
  const agent = new lib.Agent({ keepAlive: true, timeout: 15000, rejectUnauthorized: false, maxSockets });
  const maxBytes = require(path.join(ROOT, 'dist', 'dsm', 'constants')).MAX_BODY_BYTES || 64 * 1024 * 1024;
  // The options of the transport's axios instance, so that "node vs axios" is our code alone.
  const instance = axios.create({
    adapter: 'http',
    httpAgent: agent,
    httpsAgent: agent,
    proxy: false,
    maxRedirects: 0,
    responseType: 'text',
    responseEncoding: 'utf8',
    transformRequest: [],
    transformResponse: [],
    validateStatus: () => true,
    maxContentLength: maxBytes,
    maxBodyLength: maxBytes,
    timeout: 0,
    transitional: { clarifyTimeoutError: true },
    headers: { common: { 'User-Agent': 'node-red-abm365' }, post: { 'Content-Type': 'application/x-www-form-urlencoded' } },
  });
  return { instance, agent };
}

/** The package's DSM client on its own, configured as the config node configures it. */
function dsmClient(simUrl) {
  const { DsmClient } = require(path.join(ROOT, 'dist', 'dsm', 'client'));
  const u = new URL(simUrl);
  return new DsmClient({
    host: u.hostname,
    port: Number(u.port),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    tlsMode: 'insecure',
    timeoutMs: 30000,
    maxConcurrent: 4,
    username: 'admin',
    password: 'synology',
    requiredApi: require(path.join(ROOT, 'dist', 'abm', 'connection')).ABM_REQUIRED_API,
  });
}

async function caseOverhead(ctx) {
  const { rt, sim } = ctx;
  await rt.deploy([
    R.nasNode('nas-o', sim.url),
    R.flowNode('abm365-query', 'q-o', 'nas-o', { operation: 'tasks' }, [['out-o']]),
    R.junction('out-o'),
    // Node-RED's own cost of one hop (receive, send, delivery), without any request.
    { ...R.junction('hop-in'), wires: [['hop-out']] },
    R.junction('hop-out'),
    ...R.catchAll('catch-o', 'err-o'),
  ]);
  const hop = sequentialDriver(rt.node('hop-in'), rt.sink('hop-out'), rt.sink('err-o'));
  const drive = sequentialDriver(rt.node('q-o'), rt.sink('out-o'), rt.sink('err-o'));
  const bare = new BareClient(sim.url, { maxSockets: 4 });
  await bare.login();
  // Layers between the two, each on its own connection and the same session, to tell where
  // the overhead is: plain axios (same config as the transport), the package's DsmClient
  // alone, and DsmClient + listTasks + decorateListTasksOwned (what the node runs, minus Node-RED).
  const abm = require(path.join(ROOT, 'dist', 'abm'));
  const client = dsmClient(sim.url);
  const ax = plainAxios(sim.url);
  const listUrl = `${sim.url}/webapi/entry.cgi?api=SYNO.ActiveBackupOffice365&version=1&method=list_tasks&_sid=${encodeURIComponent(bare.sid)}`;
  const axiosHeaders = bare.token ? { 'X-SYNO-TOKEN': bare.token } : {};
  const timed = (fn) => async () => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const variants = {
    ours: async () => {
      const t0 = performance.now();
      const t1 = await drive({ payload: '' });
      return t1 - t0;
    },
    bare: timed(() => bare.listTasks()),
    axios: timed(async () => {
      // The transport's per-request time-out (the config node's 30 s) is axios' own timer.
      const res = await ax.instance.get(listUrl, { headers: axiosHeaders, timeout: 30000 });
      if (!JSON.parse(res.data).success) throw new Error('axios: list_tasks failed');
    }),
    client: timed(() => client.call('SYNO.ActiveBackupOffice365', 'list_tasks')),
    decorated: timed(async () => abm.decorateListTasksOwned(await abm.listTasks(client))),
    hop: async () => {
      const t0 = performance.now();
      const t1 = await hop({ payload: '' });
      return t1 - t0;
    },
  };
  const names = Object.keys(variants);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let i = 0; i < N.overheadWarm; i++) for (const n of names) await variants[n]();
    await U.fullGc(2);
    for (let b = 0; b < N.overheadMsgs / N.overheadBlock; b++) {
      // Rotate the order block by block so drift and GC debt spread evenly.
      for (let k = 0; k < names.length; k++) {
        const n = names[(b + k) % names.length];
        for (let i = 0; i < N.overheadBlock; i++) times[n].push(await variants[n]());
      }
    }
    const med = (n) => U.median(times[n]);
    const r = {
      ours_median_ms: med('ours'),
      ours_p99_ms: U.percentile(times.ours, 99),
      baseline_median_ms: med('bare'),
      baseline_p99_ms: U.percentile(times.bare, 99),
      axios_median_ms: med('axios'),
      client_median_ms: med('client'),
      decorated_median_ms: med('decorated'),
      nodered_hop_median_ms: med('hop'),
      messages: times.ours.length,
    };
    r.ratio = r.ours_median_ms / r.baseline_median_ms;
    r.rps = 1000 / r.baseline_median_ms;
    if (opts.profile === 'overhead') {
      await U.profile('overhead', async () => {
        for (let i = 0; i < N.overheadMsgs; i++) await variants.ours();
      });
    }
    return r;
  } finally {
    bare.close();
    ax.agent.destroy();
    await client.close();
  }
}

/** Runs the flow case's client process once; resolves with its { times, bytes }. */
function runFlowClient(args) {
  const { fork } = require('node:child_process');
  const child = fork(path.join(__dirname, 'bench', 'flow-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  U.children.add(child);
  return new Promise((resolve, reject) => {
    let answer;
    child.on('message', (m) => {
      if (m && m.cmd === 'cpu') {
        // CPU (us) of this process (Node-RED) and of the simulator, for the client's accounting.
        const own = process.cpuUsage();
        args.sim.call('cpu').then((s) => child.send({ cpuOf: m.id, cpu: { nodeRed: own.user + own.system, simulator: s.user + s.system } }));
      } else answer = m;
    });
    child.once('exit', (code) => {
      U.children.delete(child);
      if (answer && answer.ok) resolve(answer.result);
      else reject(new Error(`flow client: ${answer ? answer.error : `exited with ${code} before answering`}`));
    });
    child.send({ cmd: 'run', ...args, sim: undefined });
  });
}

/**
 * The user's flow, timed from a separate client process over keep-alive HTTP:
 *   flow     http in -> ABM365 query (tasks) -> http response
 *   http     http in -> http response (the same Node-RED, nothing between)
 *   fn       http in -> function (return msg) -> http response: one core node between
 *   payload  http in -> function (payload = the flow's own answer, held) -> http response:
 *            the flow's response body without the NAS
 *   bare     the bare keep-alive client's list_tasks against the simulator
 * So flow - http = (the query node in the flow, NAS round trip included) + (the bigger
 * response: payload - fn), and the query node's share compares with bare.
 */
async function caseFlow(ctx) {
  const { rt, sim } = ctx;
  const nodes = (payloadInit) => [
    R.nasNode('nas-w', sim.url),
    R.httpIn('in-http', '/bench/http', [['res-http']]),
    R.httpResponse('res-http'),
    R.httpIn('in-flow', '/bench/flow', [['q-w']]),
    R.flowNode('abm365-query', 'q-w', 'nas-w', { operation: 'tasks' }, [['res-flow']]),
    R.httpResponse('res-flow'),
    R.httpIn('in-fn', '/bench/fn', [['fn-w']]),
    R.fn('fn-w', 'return msg;', [['res-fn']]),
    R.httpResponse('res-fn'),
    R.httpIn('in-payload', '/bench/payload', [['pl-w']]),
    R.fn('pl-w', "msg.payload = context.get('answer'); return msg;", [['res-pl']], payloadInit),
    R.httpResponse('res-pl'),
    ...R.catchAll('catch-w', 'err-w'),
  ];
  await rt.deploy(nodes(''));
  // The payload variant answers what the flow answers (read once through the flow itself).
  const first = await nrHarness().request('GET', `${rt.url}/bench/flow`);
  if (first.status !== 200 || !first.body || !Array.isArray(first.body.tasks)) throw new Error(`flow: GET /bench/flow answered HTTP ${first.status} ${first.text.slice(0, 200)}`);
  await rt.deploy(nodes(`context.set('answer', ${first.text});`));
  const errors = rt.sink('err-w');
  const paths = { flow: '/bench/flow', http: '/bench/http', fn: '/bench/fn', payload: '/bench/payload' };
  await U.fullGc(2);
  const { times, bytes, cpu } = await runFlowClient({ sim, nodeRedUrl: rt.url, simUrl: sim.url, paths, warm: N.flowWarm, messages: N.flowMsgs, block: N.flowBlock });
  if (errors.count) throw new Error(`flow: ${errors.count} errors reached the Catch node: ${errors.last.error && errors.last.error.message}`);
  if (opts.profile === 'flow') {
    // The Node-RED side (this process) while the client drives the flow alone.
    await U.profile('flow', () => runFlowClient({ sim, nodeRedUrl: rt.url, simUrl: sim.url, paths: { flow: paths.flow }, warm: 0, messages: N.flowMsgs, block: N.flowBlock }));
  }
  await sim.reset();
  const med = (n) => U.median(times[n]);
  const p99 = (n) => U.percentile(times[n], 99);
  const r = {
    flow_ms: med('flow'),
    flow_p99_ms: p99('flow'),
    http_only_ms: med('http'),
    http_only_p99_ms: p99('http'),
    bare_ms: med('bare'),
    bare_p99_ms: p99('bare'),
    function_ms: med('fn'),
    payload_ms: med('payload'),
    body_bytes: bytes.flow,
    messages: times.flow.length,
    // CPU us per request, by process: { <variant>: { nodeRed, simulator, client } }.
    cpu_us: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([p, us]) => [p, U.round(us, 1)]))])),
  };
  r.flow_overhead_ratio = (r.flow_ms - r.http_only_ms) / r.bare_ms;
  // Split of flow - http: the response body (payload - fn) and the query node with its NAS call.
  r.response_body_ms = r.payload_ms - r.function_ms;
  r.query_node_ms = r.flow_ms - r.http_only_ms - r.response_body_ms;
  r.function_hop_ms = r.function_ms - r.http_only_ms;
  return r;
}

async function caseBurst(ctx) {
  const { rt, sim } = ctx;
  const times = { ours: [], bare: [], axios: [], client: [] };
  const logins = [];
  const requests = [];
  let round = 0;
  const burst = (fn) => Promise.all(Array.from({ length: N.burstMsgs }, fn));
  const ours = async () => {
    const r = ++round;
    const ids = { nas: `nas-b${r}`, q: `q-b${r}`, out: `out-b${r}`, err: `err-b${r}` };
    // A full deploy: the previous round's config node closes (and logs out) first.
    await rt.deploy([
      R.nasNode(ids.nas, sim.url),
      R.flowNode('abm365-query', ids.q, ids.nas, { operation: 'tasks' }, [[ids.out]]),
      R.junction(ids.out),
      ...R.catchAll(`catch-b${r}`, ids.err),
    ]);
    const q = rt.node(ids.q);
    const sink = rt.sink(ids.out);
    const errors = rt.sink(ids.err);
    await U.sleep(50);
    await U.fullGc(2);
    await sim.reset();
    const t0 = performance.now();
    for (let i = 0; i < N.burstMsgs; i++) q.receive({ payload: i });
    await Promise.race([
      sink.waitFor(N.burstMsgs, 60000, 'burst outputs'),
      errors.waitFor(1, 60000).then((m) => {
        throw new Error(`burst: ${m.error && m.error.message}`);
      }),
    ]);
    const wall = performance.now() - t0;
    const c = await sim.counts();
    logins.push(c.logins);
    requests.push(c.requests);
    return wall;
  };
  const prepare = async () => {
    await U.fullGc(2);
    await sim.reset();
  };
  const variants = {
    ours,
    bare: async () => {
      await prepare();
      const client = new BareClient(sim.url, { maxSockets: 4 });
      try {
        const t0 = performance.now();
        await client.login();
        await burst(() => client.listTasks());
        return performance.now() - t0;
      } finally {
        client.close();
      }
    },
    // Layers, to tell where the time goes: plain axios (same config as the transport, an
    // agent of 4 sockets queueing the rest) and the package's DsmClient alone.
    axios: async () => {
      await prepare();
      const ax = plainAxios(sim.url, 4);
      try {
        const t0 = performance.now();
        const body = 'api=SYNO.API.Auth&version=7&method=login&account=admin&passwd=synology&session=ActiveBackupOffice365&format=sid&enable_syno_token=yes';
        const login = JSON.parse((await ax.instance.post(`${sim.url}/webapi/entry.cgi`, body, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).data);
        const url = `${sim.url}/webapi/entry.cgi?api=SYNO.ActiveBackupOffice365&version=1&method=list_tasks&_sid=${encodeURIComponent(login.data.sid)}`;
        const headers = { 'X-SYNO-TOKEN': login.data.synotoken };
        await burst(async () => {
          if (!JSON.parse((await ax.instance.get(url, { headers, timeout: 30000 })).data).success) throw new Error('axios burst: list_tasks failed');
        });
        return performance.now() - t0;
      } finally {
        ax.agent.destroy();
      }
    },
    client: async () => {
      await prepare();
      const client = dsmClient(sim.url);
      try {
        const t0 = performance.now();
        await burst(() => client.call('SYNO.ActiveBackupOffice365', 'list_tasks'));
        return performance.now() - t0;
      } finally {
        await client.close();
      }
    },
  };
  const names = Object.keys(variants);
  // Warm-up (JIT, lazy init: the first rounds are markedly slower) of each, not counted.
  for (let i = 0; i < 2; i++) for (const n of names) await variants[n]();
  logins.length = 0;
  requests.length = 0;
  for (let i = 0; i < N.burstRounds; i++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(i + k) % names.length];
      times[n].push(await variants[n]());
    }
  }
  if (opts.profile === 'burst') await U.profile('burst', ours);
  const med = (n) => U.median(times[n]);
  return {
    ours_wall_ms: med('ours'),
    baseline_wall_ms: med('bare'),
    axios_wall_ms: med('axios'),
    client_wall_ms: med('client'),
    ratio: med('ours') / med('bare'),
    logins: Math.max(...logins),
    logins_each_round: logins,
    requests_each_round: requests,
    rps: N.burstMsgs / (med('bare') / 1000),
  };
}

/** Requests per poll interval of `monitors` monitor nodes sharing one config node. */
async function faninRun(ctx, monitors, tag) {
  const { rt, sim } = ctx;
  const I = N.faninIntervalMs;
  const nas = `nas-f${tag}`;
  const flow = [R.nasNode(nas, sim.url), R.junction(`out-f${tag}`), ...R.catchAll(`catch-f${tag}`, `err-f${tag}`)];
  for (let i = 0; i < monitors; i++) {
    // interval in seconds, as the editor stores it.
    flow.push(R.flowNode('abm365-monitor', `mon-f${tag}-${i}`, nas, { interval: I / 1000, logLevel: 'warning', taskType: 'all' }, [[`out-f${tag}`]]));
  }
  await rt.deploy(flow);
  await U.sleep(I);
  await sim.reset();
  await U.sleep((N.faninIntervals + 1.5) * I);
  const reqs = await sim.call('requests');
  const polls = reqs.filter((r) => r.method === 'list_tasks').map((r) => r.at);
  if (polls.length < N.faninIntervals) throw new Error(`fan-in: only ${polls.length} polls in ${N.faninIntervals + 1.5} intervals`);
  // Exactly N intervals: from half an interval before the first poll seen.
  const from = polls[0] - I / 2;
  const to = from + N.faninIntervals * I;
  const inWindow = reqs.filter((r) => r.at >= from && r.at < to);
  const byMethod = {};
  for (const r of inWindow) byMethod[r.method] = (byMethod[r.method] || 0) + 1;
  return { perInterval: inWindow.length / N.faninIntervals, byMethod };
}

async function caseFanin(ctx) {
  const many = await faninRun(ctx, N.faninMonitors, 'm');
  const one = await faninRun(ctx, 1, 's');
  return {
    monitors: N.faninMonitors,
    interval_ms: N.faninIntervalMs,
    requests_per_interval: many.perInterval,
    baseline_requests_per_interval: one.perInterval,
    by_method: many.byMethod,
    baseline_by_method: one.byMethod,
  };
}

/** A junction that records when each monitor event leaves the monitor (Date.now(), ms). */
function eventRecorder(rt, id) {
  const events = [];
  rt.node(id).on('input', (msg, _send, done) => {
    events.push({ at: Date.now(), topic: msg.topic, taskId: msg.payload && Number(msg.payload.task_id) });
    done();
  });
  return events;
}

async function until(check, ms, what, step = 50) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await U.sleep(step);
  }
}

/**
 * How long a failed run takes to reach the flow, with interval 60 s and fastInterval 10 s.
 * A run is started on the simulator (as by a schedule); each of N.detectMonitors monitors, on
 * config nodes of their own (so each has its own poller and poll phase), is made to poll
 * once at a random moment of one fast cycle (as its next 60 s poll would for a real run, which
 * lasts longer than that) and so polls fast from then on; the run is then ended as failed,
 * and the time from that end (the simulator's clock) to each monitor's `failed` event
 * leaving the monitor (this process's clock, the same machine) is one sample.
 */
async function caseDetect(ctx) {
  const { rt, sim } = ctx;
  const K = N.detectMonitors;
  const flow = [...R.catchAll('catch-d', 'err-d')];
  for (let k = 0; k < K; k++) {
    flow.push(R.nasNode(`nas-d${k}`, sim.url));
    flow.push(R.flowNode('abm365-monitor', `mon-d${k}`, `nas-d${k}`, { interval: N.detectInterval, fastInterval: N.detectFast, taskType: 'all', task: '', logLevel: 'none', format: 'events' }, [[`ev-d${k}`]]));
    flow.push(R.junction(`ev-d${k}`));
  }
  await rt.deploy(flow);
  const events = Array.from({ length: K }, (_, k) => eventRecorder(rt, `ev-d${k}`));
  const errors = rt.sink('err-d');
  const [taskId] = await sim.call('taskIds');
  await sim.call('setRunSeconds', { seconds: 3600 });
  const samples = [];
  const seen = (k, from, topic) => events[k].slice(from[k]).find((e) => e.topic === topic && e.taskId === taskId);
  try {
    await until(async () => (await sim.counts()).byMethod.list_tasks >= K, 10000, 'the first polls');
    for (let round = 0; round < N.detectRounds; round++) {
      const from = events.map((e) => e.length);
      await sim.call('startRun', { taskId });
      await Promise.all(
        Array.from({ length: K }, async (_, k) => {
          await U.sleep(Math.random() * N.detectFast * 1000);
          rt.node(`mon-d${k}`).receive({ payload: 'poll now' });
        }),
      );
      await until(() => events.every((_, k) => seen(k, from, 'started')), 15000, 'started events');
      await U.sleep(1000 + Math.random() * 1000);
      const end = await sim.call('finishRun', { taskId, outcome: 'error' });
      await until(() => events.every((_, k) => seen(k, from, 'failed')), (N.detectInterval + 15) * 1000, 'failed events');
      for (let k = 0; k < K; k++) samples.push(seen(k, from, 'failed').at - end);
    }
    if (errors.count) throw new Error(`detect: ${errors.count} errors reached the Catch node: ${errors.last.error && errors.last.error.message}`);
  } finally {
    await sim.call('setRunSeconds', { seconds: 2 });
    await rt.deploy([]);
    await sim.reset();
  }
  return {
    interval_s: N.detectInterval,
    fast_interval_s: N.detectFast,
    samples: samples.length,
    median_ms: U.median(samples),
    p99_ms: U.percentile(samples, 99),
    max_ms: Math.max(...samples),
  };
}

/**
 * Requests the NAS gets from one config node with 5 monitors and 1 backup node with wait for
 * completion, per hour: counted on the simulator over whole poll cycles and scaled to an hour.
 * At the shortest intervals the monitor allows (10 s, 3 s fast), so the window is short:
 * idle, over 3 intervals; running (the backup node started a run and waits), over 5 fast
 * intervals. Each window starts half an interval before a poll, so it holds whole cycles.
 */
async function caseNasload(ctx) {
  const { rt, sim } = ctx;
  const I = N.nasloadInterval;
  const F = N.nasloadFast;
  const flow = [R.nasNode('nas-n', sim.url), R.junction('out-n'), R.junction('done-n'), ...R.catchAll('catch-n', 'err-n')];
  for (let i = 0; i < 5; i++) {
    // The editor's defaults (log lines at level error included), one as a Home Assistant sensor.
    flow.push(R.flowNode('abm365-monitor', `mon-n${i}`, 'nas-n', { interval: I, fastInterval: F, taskType: 'all', task: '', format: i === 4 ? 'ha-sensor' : 'events' }, [['out-n']]));
  }
  flow.push(R.flowNode('abm365-backup', 'b-n', 'nas-n', { action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: 3600 }, [['out-n'], ['done-n']]));
  await rt.deploy(flow);
  const errors = rt.sink('err-n');
  const done = rt.sink('done-n');
  /** Requests per hour over `cycles` whole cycles of `period` s, from now on. */
  const window = async (period, cycles) => {
    await sim.reset();
    await U.sleep((cycles + 1.5) * period * 1000);
    const reqs = await sim.call('requests');
    const polls = reqs.filter((r) => r.method === 'list_tasks').map((r) => r.at);
    if (polls.length === 0) throw new Error(`nasload: no poll in ${cycles + 1.5} cycles of ${period} s`);
    const from = polls[0] - (period * 1000) / 2;
    const to = from + cycles * period * 1000;
    const inWindow = reqs.filter((r) => r.at >= from && r.at < to);
    const byMethod = {};
    for (const r of inWindow) byMethod[r.method] = (byMethod[r.method] || 0) + 1;
    return { perHour: (inWindow.length * 3600) / (cycles * period), byMethod };
  };
  await sim.call('setRunSeconds', { seconds: 3600 });
  try {
    // Logins and the first polls out of the way, then nothing runs.
    await U.sleep(2000);
    const idle = await window(I, N.nasloadIdleCycles);
    rt.node('b-n').receive({ payload: '' });
    await until(async () => (await sim.call('running')).length === 1, 10000, 'the backup run');
    await U.sleep(2 * F * 1000);
    const running = await window(F, N.nasloadFastCycles);
    const [taskId] = await sim.call('running');
    await sim.call('finishRun', { taskId, outcome: 'success' });
    await until(() => done.count >= 1, (F + 10) * 1000, "the backup node's output 2");
    if (errors.count) throw new Error(`nasload: ${errors.count} errors reached the Catch node: ${errors.last.error && errors.last.error.message}`);
    return { interval_s: I, fast_interval_s: F, monitors: 5, backup_waits: 1, idle_per_hour: idle.perHour, running_per_hour: running.perHour, idle_by_method: idle.byMethod, running_by_method: running.byMethod };
  } finally {
    await sim.call('setRunSeconds', { seconds: 2 });
    await rt.deploy([]);
    await sim.reset();
  }
}

async function caseBiglog(ctx) {
  const { rt, sim } = ctx;
  const lines = await sim.call('setTaskLogLines', { taskId: 1, n: N.biglogLines });
  if (lines !== N.biglogLines) throw new Error(`simulator holds ${lines} lines`);
  // Peak RSS, in fresh processes (see biglog-rss.js), ours and bare.
  const child = path.join(__dirname, 'bench', 'biglog-rss.js');
  const childArgs = (mode) => [sim.url, mode, String(N.biglogLines), String(N.biglogLimit)];
  const childOpts = { execArgv: ['--expose-gc'], timeoutMs: 120000, env: { ...process.env, BENCH_NR_LOG: 'error' } };
  const rssOurs = await U.runJsonChild(child, childArgs('ours'), childOpts);
  const rssBare = await U.runJsonChild(child, childArgs('bare'), childOpts);

  // Time, here, alternated.
  await rt.deploy([
    R.nasNode('nas-l', sim.url),
    R.flowNode('abm365-query', 'q-l', 'nas-l', { operation: 'task-log', task: '1', taskType: 'num', allPages: true, limit: N.biglogLimit }, [['out-l']]),
    R.junction('out-l'),
    ...R.catchAll('catch-l', 'err-l'),
  ]);
  const drive = sequentialDriver(rt.node('q-l'), rt.sink('out-l'), rt.sink('err-l'));
  const sink = rt.node('out-l');
  let got = 0;
  sink.on('input', (msg, _s, done) => {
    got = msg.payload.logs.length;
    done();
  });
  const bare = new BareClient(sim.url, { maxSockets: 4 });
  await bare.login();
  const oursOne = async () => {
    const t0 = performance.now();
    const t1 = await drive({});
    if (got !== N.biglogLines) throw new Error(`biglog: ${got} lines`);
    return t1 - t0;
  };
  const bareOne = async () => {
    const t0 = performance.now();
    const all = await bare.allTaskLog(1, N.biglogLimit);
    if (all.length !== N.biglogLines) throw new Error(`biglog bare: ${all.length} lines`);
    return performance.now() - t0;
  };
  const ours = [];
  const base = [];
  try {
    await oursOne();
    await bareOne();
    for (let i = 0; i < N.biglogRounds; i++) {
      await U.fullGc(2);
      if (i % 2 === 0) {
        ours.push(await oursOne());
        await U.fullGc(2);
        base.push(await bareOne());
      } else {
        base.push(await bareOne());
        await U.fullGc(2);
        ours.push(await oursOne());
      }
    }
    if (opts.profile === 'biglog') await U.profile('biglog', oursOne);
  } finally {
    bare.close();
    // Back to a short log: the backup runs of later cases add lines at its head.
    await sim.call('setTaskLogLines', { taskId: 1, n: 20 });
    await sim.reset();
  }
  return {
    lines: N.biglogLines,
    page_lines: N.biglogLimit,
    ours_ms: U.median(ours),
    baseline_ms: U.median(base),
    ratio: U.median(ours) / U.median(base),
    ours_runs_ms: ours.map((v) => U.round(v, 0)),
    baseline_runs_ms: base.map((v) => U.round(v, 0)),
    rss_growth_mb: rssOurs.rssGrowthMb,
    baseline_rss_growth_mb: rssBare.rssGrowthMb,
    rss_before_mb: rssOurs.rssBeforeMb,
    heap_growth_at_end_mb: rssOurs.heapGrowthAtEndMb,
    baseline_heap_growth_at_end_mb: rssBare.heapGrowthAtEndMb,
    rps: (N.biglogLines / N.biglogLimit) / (U.median(base) / 1000),
  };
}

async function caseLongrun(ctx) {
  const { rt, sim } = ctx;
  await rt.deploy([
    R.nasNode('nas-r', sim.url),
    R.flowNode('abm365-query', 'q-r', 'nas-r', { operation: 'tasks' }, [['out-r']]),
    R.flowNode('abm365-backup', 'b-r', 'nas-r', { action: 'run', task: '1', taskType: 'num' }, [['out-r']]),
    R.junction('out-r'),
    ...R.catchAll('catch-r', 'err-r'),
  ]);
  const q = rt.node('q-r');
  const b = rt.node('b-r');
  const sink = rt.sink('out-r');
  const errors = rt.sink('err-r');
  let firstError;
  let sent = 0;
  // A window of messages in flight, alternately through query and backup.
  const pump = (count) =>
    new Promise((resolve) => {
      let issued = 0;
      let finished = 0;
      const fill = () => {
        while (issued < count && issued - finished < N.longrunWindow) {
          issued++;
          sent++;
          (sent % 2 ? q : b).receive({ payload: sent });
        }
      };
      const onDone = () => {
        finished++;
        if (finished >= count) resolve();
        else fill();
      };
      sink.onMessage = onDone;
      errors.onMessage = (m) => {
        if (!firstError) firstError = m.error && m.error.message;
        onDone();
      };
      fill();
    });
  await pump(N.longrunWarm);
  await U.fullGc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  await pump(N.longrunMsgs);
  const ms = performance.now() - t0;
  await U.sleep(100);
  await U.fullGc();
  const after = process.memoryUsage();
  const counts = await sim.counts();
  await sim.reset();
  if (opts.profile === 'longrun') await U.profile('longrun', () => pump(N.longrunMsgs / 4));
  return {
    messages: N.longrunMsgs,
    ms,
    heap_growth_mb: (after.heapUsed - before.heapUsed) / U.MB,
    rss_growth_mb: (after.rss - before.rss) / U.MB,
    errors: errors.count,
    first_error: firstError,
    backup_runs_started: counts.byMethod.backup_task || 0,
    rps: (counts.requests || 0) / (ms / 1000),
  };
}

async function caseLoad() {
  const harness = require('./lib/nodered');
  const child = path.join(__dirname, 'bench', 'load-child.js');
  const env = { ...process.env, BENCH_NR_LOG: 'error' };
  // Installed the way users install it (packed tarball, npm install --omit=dev): the
  // package's axios and its dependencies are its own files, as in a user's userDir.
  const tarball = await harness.packPackage(ROOT, { log: (line) => log(line) });
  const nodeTypes = Object.keys(require(path.join(ROOT, 'package.json'))['node-red'].nodes).length;
  const userDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'abm365-bench-load-'));
  const viaNodeRed = [];
  const viaRequire = [];
  const axiosMs = [];
  try {
    await harness.installUserDir(userDir, tarball);
    for (let i = 0; i < N.loadRuns; i++) {
      const a = await U.runJsonChild(child, ['nodered', userDir], { env });
      if (a.errors.length || a.types !== nodeTypes) throw new Error(`load: ${a.types} of ${nodeTypes} types, ${a.errors.join('; ')}`);
      viaNodeRed.push(a.ms);
      axiosMs.push(a.dependencyMs.axios || 0);
      viaRequire.push((await U.runJsonChild(child, ['require'], { env })).ms);
    }
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  if (opts.profile === 'load') {
    // A fresh process under --cpu-prof: the require + init of every node file.
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'abm365-bench-load-prof-'));
    await U.runJsonChild(child, ['require'], { env, execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    U.lastProfile = { file, summary: U.summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')), 25) };
  }
  return { ms: U.median(viaNodeRed), axios_ms: U.median(axiosMs), require_init_ms: U.median(viaRequire), runs_ms: viaNodeRed.map((v) => U.round(v, 1)) };
}

// ---- report -------------------------------------------------------------------------------

function fmt(n, digits = 3) {
  return Number.isFinite(n) ? String(U.round(n, digits)) : '-';
}

function table(rows) {
  const head = ['case', 'ours', 'baseline', 'ratio', 'goal', 'met'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function report(res) {
  const rows = [];
  const json = {};
  const cap = res.capacity;
  json.simulator_capacity_rps = U.round(cap.rps, 0);
  json.simulator_sequential_rps = U.round(cap.sequentialRps, 0);
  rows.push([
    'simulator capacity (bare client)',
    `${fmt(cap.rps, 0)} req/s (1/4/8 conns: ${[1, 4, 8].map((c) => fmt(cap.rates[c], 0)).join('/')})`,
    '',
    '',
    'above every case',
    '',
  ]);
  const yes = (ok) => (ok ? 'yes' : 'NO');
  const o = res.overhead;
  if (o) {
    json.overhead_ratio = U.round(o.ratio);
    json.overhead_p99_ms = U.round(o.ours_p99_ms);
    json.overhead_median_ms = U.round(o.ours_median_ms);
    json.overhead_baseline_median_ms = U.round(o.baseline_median_ms);
    json.overhead_baseline_p99_ms = U.round(o.baseline_p99_ms);
    json.overhead_axios_median_ms = U.round(o.axios_median_ms);
    json.overhead_client_median_ms = U.round(o.client_median_ms);
    json.overhead_decorated_median_ms = U.round(o.decorated_median_ms);
    json.overhead_nodered_hop_median_ms = U.round(o.nodered_hop_median_ms);
    rows.push([
      `request overhead (${o.messages} msgs)`,
      `median ${fmt(o.ours_median_ms)} ms, p99 ${fmt(o.ours_p99_ms)} ms`,
      `median ${fmt(o.baseline_median_ms)} ms, p99 ${fmt(o.baseline_p99_ms)} ms`,
      fmt(o.ratio, 2),
      'ratio <= 1.5',
      yes(o.ratio <= 1.5),
    ]);
    const x = (v) => `${fmt(v)} (${fmt(v / o.baseline_median_ms, 2)}x)`;
    json.node_axios_ratio = U.round(o.ours_median_ms / o.axios_median_ms);
    rows.push([
      'node vs axios alone (same options)',
      `node ${fmt(o.ours_median_ms)} ms`,
      `axios ${fmt(o.axios_median_ms)} ms`,
      fmt(o.ours_median_ms / o.axios_median_ms, 2),
      'ratio <= 1.15',
      yes(o.ours_median_ms / o.axios_median_ms <= 1.15),
    ]);
    rows.push([
      '  layers (median ms, x bare)',
      `axios ${x(o.axios_median_ms)}, DsmClient.call ${x(o.client_median_ms)}, + listTasks/decorate ${x(o.decorated_median_ms)}, node ${x(o.ours_median_ms)}; a bare Node-RED hop ${fmt(o.nodered_hop_median_ms)}`,
      `bare ${fmt(o.baseline_median_ms)}`,
      '',
      '',
      '',
    ]);
  }
  const w = res.flow;
  if (w) {
    json.flow_ms = U.round(w.flow_ms);
    json.flow_p99_ms = U.round(w.flow_p99_ms);
    json.http_only_ms = U.round(w.http_only_ms);
    json.http_only_p99_ms = U.round(w.http_only_p99_ms);
    json.bare_ms = U.round(w.bare_ms);
    json.bare_p99_ms = U.round(w.bare_p99_ms);
    json.flow_overhead_ratio = U.round(w.flow_overhead_ratio);
    json.flow_function_ms = U.round(w.function_ms);
    json.flow_payload_ms = U.round(w.payload_ms);
    json.flow_response_body_ms = U.round(w.response_body_ms);
    json.flow_query_node_ms = U.round(w.query_node_ms);
    json.flow_body_bytes = w.body_bytes;
    rows.push([
      `user's flow over HTTP (${w.messages} msgs)`,
      `flow ${fmt(w.flow_ms)} ms (p99 ${fmt(w.flow_p99_ms)}) - http only ${fmt(w.http_only_ms)} ms (p99 ${fmt(w.http_only_p99_ms)})`,
      `bare ${fmt(w.bare_ms)} ms (p99 ${fmt(w.bare_p99_ms)})`,
      fmt(w.flow_overhead_ratio, 2),
      '(flow - http) / bare <= 2',
      yes(w.flow_overhead_ratio <= 2),
    ]);
    rows.push([
      '  flow - http only, split (median ms)',
      `query node with its NAS call ${fmt(w.query_node_ms)} (${fmt(w.query_node_ms / w.bare_ms, 2)}x bare), response body of ${w.body_bytes} bytes ${fmt(w.response_body_ms)}; a function node hop ${fmt(w.function_hop_ms)}`,
      `bare ${fmt(w.bare_ms)}`,
      '',
      '',
      '',
    ]);
    const c = w.cpu_us;
    json.flow_nodered_cpu_us = c.flow.nodeRed;
    json.http_only_nodered_cpu_us = c.http.nodeRed;
    json.bare_client_cpu_us = c.bare.client;
    rows.push([
      '  CPU per request (us, all threads)',
      `Node-RED: http only ${c.http.nodeRed}, + function ${c.fn.nodeRed}, + the flow's body ${c.payload.nodeRed}, flow ${c.flow.nodeRed}; simulator for the flow ${c.flow.simulator}`,
      `bare client ${c.bare.client}, simulator ${c.bare.simulator}`,
      '',
      '',
      '',
    ]);
  }
  const b = res.burst;
  if (b) {
    json.burst_logins = b.logins;
    json.burst_ratio = U.round(b.ratio);
    json.burst_ms = U.round(b.ours_wall_ms, 1);
    json.burst_baseline_ms = U.round(b.baseline_wall_ms, 1);
    json.burst_axios_ms = U.round(b.axios_wall_ms, 1);
    json.burst_client_ms = U.round(b.client_wall_ms, 1);
    rows.push([
      `cold burst (${N.burstMsgs} msgs)`,
      `${fmt(b.ours_wall_ms, 1)} ms, logins ${b.logins_each_round.join('/')}`,
      `${fmt(b.baseline_wall_ms, 1)} ms, 1 login`,
      fmt(b.ratio, 2),
      '1 login, ratio <= 1.3',
      yes(b.logins_each_round.every((l) => l === 1) && b.ratio <= 1.3),
    ]);
    const x = (v) => `${fmt(v, 1)} (${fmt(v / b.baseline_wall_ms, 2)}x)`;
    rows.push(['  layers (median ms, x bare)', `axios ${x(b.axios_wall_ms)}, DsmClient ${x(b.client_wall_ms)}, node ${x(b.ours_wall_ms)}`, `bare ${fmt(b.baseline_wall_ms, 1)}`, '', '', '']);
  }
  const f = res.fanin;
  if (f) {
    json.fanin_requests_per_interval = f.requests_per_interval;
    json.fanin_baseline_requests_per_interval = f.baseline_requests_per_interval;
    rows.push([
      `fan-in polling (${f.monitors} monitors, ${N.faninIntervals} x ${f.interval_ms} ms)`,
      `${fmt(f.requests_per_interval, 2)} req/interval`,
      `${fmt(f.baseline_requests_per_interval, 2)} req/interval (1 monitor)`,
      fmt(f.requests_per_interval / f.baseline_requests_per_interval, 2),
      'equal',
      yes(f.requests_per_interval === f.baseline_requests_per_interval),
    ]);
  }
  const d = res.detect;
  if (d) {
    json.detect_ms_median = U.round(d.median_ms, 0);
    json.detect_ms_p99 = U.round(d.p99_ms, 0);
    const goal = (d.fast_interval_s + 2) * 1000;
    rows.push([
      `failed run to event (${d.samples} runs, interval ${d.interval_s} s, fast ${d.fast_interval_s} s)`,
      `median ${fmt(d.median_ms / 1000, 2)} s, p99 ${fmt(d.p99_ms / 1000, 2)} s`,
      '',
      '',
      `p99 <= ${goal / 1000} s`,
      yes(d.p99_ms <= goal),
    ]);
  }
  const q = res.nasload;
  if (q) {
    json.nas_requests_per_hour_idle = U.round(q.idle_per_hour, 0);
    json.nas_requests_per_hour_running = U.round(q.running_per_hour, 0);
    json.nas_requests_interval_s = q.interval_s;
    json.nas_requests_fast_interval_s = q.fast_interval_s;
    const goal = 3600 / q.interval_s + 1;
    const methods = (m) => Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ');
    rows.push([
      `NAS requests/hour (${q.monitors} monitors + ${q.backup_waits} waiting backup, interval ${q.interval_s} s, fast ${q.fast_interval_s} s)`,
      `idle ${fmt(q.idle_per_hour, 0)} (${methods(q.idle_by_method)}), running ${fmt(q.running_per_hour, 0)} (${methods(q.running_by_method)})`,
      `idle ${fmt(goal, 0)} (one poll per interval + 1)`,
      fmt(q.idle_per_hour / goal, 2),
      `idle <= ${fmt(goal, 0)}`,
      yes(q.idle_per_hour <= goal),
    ]);
  }
  const l = res.biglog;
  if (l) {
    json.biglog_ratio = U.round(l.ratio);
    json.biglog_rss_growth_mb = U.round(l.rss_growth_mb, 1);
    json.biglog_ms = U.round(l.ours_ms, 0);
    json.biglog_baseline_ms = U.round(l.baseline_ms, 0);
    json.biglog_baseline_rss_growth_mb = U.round(l.baseline_rss_growth_mb, 1);
    rows.push([
      `big log (${l.lines} lines, ${l.page_lines}/page)`,
      `${fmt(l.ours_ms, 0)} ms, peak RSS +${fmt(l.rss_growth_mb, 1)} MB`,
      `${fmt(l.baseline_ms, 0)} ms, peak RSS +${fmt(l.baseline_rss_growth_mb, 1)} MB`,
      fmt(l.ratio, 2),
      'ratio <= 1.2, RSS < 50 MB',
      yes(l.ratio <= 1.2 && l.rss_growth_mb < 50),
    ]);
  }
  const r = res.longrun;
  if (r) {
    json.longrun_heap_growth_mb = U.round(r.heap_growth_mb, 2);
    json.longrun_errors = r.errors;
    rows.push([
      `long run (${r.messages} msgs, query + backup)`,
      `heap +${fmt(r.heap_growth_mb, 2)} MB after GC, ${fmt(r.ms / 1000, 1)} s, ${r.errors} errors`,
      '',
      '',
      'heap < 5 MB',
      yes(r.heap_growth_mb < 5 && r.errors === 0),
    ]);
  }
  const ld = res.load;
  if (ld) {
    json.load_ms = U.round(ld.ms, 1);
    json.load_axios_ms = U.round(ld.axios_ms, 1);
    json.load_require_init_ms = U.round(ld.require_init_ms, 1);
    rows.push([
      'load (Node-RED addModule, packed install)',
      `${fmt(ld.ms, 1)} ms, of which require('axios') ${fmt(ld.axios_ms, 1)} ms (require + init alone ${fmt(ld.require_init_ms, 1)} ms)`,
      '',
      '',
      '< 100 ms',
      yes(ld.ms < 100),
    ]);
  }
  // The simulator must not be the bottleneck: the request rate of the cases that keep several
  // requests in flight against its capacity (sequential cases wait for every answer anyway).
  const busiest = Math.max(0, ...['burst', 'longrun'].map((k) => (res[k] ? res[k].rps || 0 : 0)));
  json.simulator_peak_load = U.round(busiest / cap.rps, 2);
  return { rows, json };
}

// ---- main ---------------------------------------------------------------------------------

async function main() {
  ensureBuilt();
  U = require('./bench/util');
  R = require('./bench/runtime');
  ({ BareClient } = require('./bench/bare'));
  ({ SimProcess } = require('./bench/sim'));
  if (!process.env.BENCH_NR_LOG) process.env.BENCH_NR_LOG = 'error';

  const cleanup = [];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    for (const c of U.children) c.kill('SIGKILL');
    for (const fn of cleanup.reverse()) {
      try {
        await fn();
      } catch (e) {
        log(`cleanup: ${e.message}`);
      }
    }
  };
  const onSignal = () => {
    log('interrupted: stopping');
    stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Bounded: whatever happens, nothing outlives 10 minutes.
  const watchdog = setTimeout(() => {
    log('watchdog: over 10 minutes, stopping');
    stopAll().finally(() => process.exit(1));
  }, 10 * 60 * 1000);
  watchdog.unref();

  const res = {};
  try {
    const sim = await SimProcess.start({ https: opts.https });
    cleanup.push(() => sim.stop());
    log(`simulator ${sim.url} (pid ${sim.child.pid})`);
    const rt = await R.startRuntime({ listen: true });
    cleanup.push(() => rt.stop());
    log(`Node-RED ${rt.RED.version()} embedded, started in ${U.round(rt.startMs, 0)} ms`);
    const ctx = { rt, sim };

    res.capacity = await capacity(sim);
    log(`[${elapsed()}] simulator capacity ${U.round(res.capacity.rps, 0)} req/s (sequential ${U.round(res.capacity.sequentialRps, 0)} req/s)`);
    const run = async (name, fn) => {
      if (!opts.cases.includes(name)) return;
      res[name] = await fn(ctx);
      log(`[${elapsed()}] ${name}: ${JSON.stringify(res[name])}`);
      if (opts.profile === name && U.lastProfile) {
        const p = U.lastProfile;
        log(`profile of ${name} (ours only, ${p.summary.totalMs} ms sampled): ${p.file}`);
        const lines = (list) => list.map((x) => `  ${String(x.ms).padStart(8)} ms ${String(x.pct).padStart(5)}%  ${x.what}`).join('\n');
        process.stderr.write(`self time by package/file:\n${lines(p.summary.areas)}\nself time by function:\n${lines(p.summary.functions)}\n`);
      }
    };
    await run('overhead', caseOverhead);
    await run('flow', caseFlow);
    await run('burst', caseBurst);
    await run('fanin', caseFanin);
    await run('detect', caseDetect);
    await run('nasload', caseNasload);
    await run('biglog', caseBiglog);
    await run('longrun', caseLongrun);
    await run('load', caseLoad);
  } finally {
    await stopAll();
    clearTimeout(watchdog);
  }

  const { rows, json } = report(res);
  json.seconds = U.round((performance.now() - started) / 1000, 1);
  process.stdout.write(`${table(rows)}\n`);
  if (json.simulator_peak_load > 0.8) {
    process.stdout.write(`note: the busiest case ran at ${Math.round(json.simulator_peak_load * 100)}% of the simulator's capacity\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(json)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
