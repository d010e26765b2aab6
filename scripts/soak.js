#!/usr/bin/env node
'use strict';
// `npm run soak -- --minutes N [--json] [--check] [--seed S] [--echo]`
//
// A real Node-RED (the package installed from its packed tarball) with monitors and periodic
// query/backup flows on two config nodes, each against its own simulated NAS (one plain HTTP,
// one HTTPS with a pinned fingerprint). The NASes live in a child process (scripts/soak/
// sim-child.js) that injects faults at random: killed sessions, restarts (NAS reboots), HTML
// 502 pages, answers slower than the timeout, dropped connections and malformed JSON; it also
// starts runs by itself, like a schedule. NAS outages (a proxy answering 502, or a reboot)
// last several polls, and one NAS's next outage waits until its monitor could see the NAS back
// (two outages with no poll between them are one outage to any monitor). Node-RED itself is
// stopped and started again on the same userDir (no persistent context store), each time just
// after a backup with wait for completion started a run that ends while Node-RED is down.
// At the end it prints what was sent and answered, the errors (all of them must reach a
// Catch node), runs ended on the NAS against the monitors' finished/failed events (each
// exactly once, restarts included), outages against the monitors' unreachable/reachable
// events (one each per outage), backup waits against output 2 (each once), logins against
// session kills and restarts, unhandled rejections in Node-RED's log, and the RSS of the
// Node-RED process.
// What the flows send is read from Node-RED's own log (a function node logs each msg as one
// JSON line, written synchronously to the pipe), so that nothing is missed while Node-RED
// restarts and no editor connection is needed.
//   --json   the last line is one JSON object with the figures
//   --check  exit 1 when an invariant fails
// Bounded: it stops by itself, and ends every process it started.
const { fork } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/nodered');

const root = path.resolve(__dirname, '..');

// ---------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const opts = { minutes: 10, json: false, check: false, echo: false, seed: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--minutes') opts.minutes = Number(value());
    else if (flag === '--json') opts.json = true;
    else if (flag === '--check') opts.check = true;
    else if (flag === '--echo') opts.echo = true;
    else if (flag === '--seed') opts.seed = String(value());
    else if (flag === '-h' || flag === '--help') {
      console.log('Usage: node scripts/soak.js [--minutes N] [--json] [--check] [--seed S] [--echo]');
      process.exit(0);
    } else {
      console.error(`soak: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(opts.minutes) || opts.minutes <= 0 || opts.minutes > 24 * 60) {
    console.error('soak: --minutes needs a number of minutes (0 < N <= 1440)');
    process.exit(2);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const short = opts.minutes <= 2;

// A small seeded generator, so that a run can be repeated (--seed).
const seed = opts.seed || crypto.randomBytes(4).toString('hex');
let rngState = crypto.createHash('sha256').update(seed).digest().readUInt32LE(0) || 1;
function random() {
  // xorshift32
  rngState ^= rngState << 13;
  rngState >>>= 0;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  rngState >>>= 0;
  return rngState / 0x100000000;
}
const between = (lo, hi) => lo + random() * (hi - lo);
const pick = (list) => list[Math.floor(random() * list.length)];
function weighted(items) {
  const total = items.reduce((s, it) => s + it.weight, 0);
  let r = random() * total;
  for (const it of items) {
    r -= it.weight;
    if (r < 0) return it;
  }
  return items[items.length - 1];
}

// Progress goes to stderr: stdout carries the summary (and the JSON line last).
const log = (line) => process.stderr.write(`soak: ${line}\n`);
// Folders to remove however the soak ends.
const tempDirs = new Set();
function removeTempDirs() {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

// ---------------------------------------------------------------------------------------
// Settings of the run

const TIMEOUT_S = 5; // request timeout of both config nodes: "slow" faults answer later (5 s: a loaded machine must not fail a poll, which would be an outage of its own)
// The product's minimum intervals: the monitor polls every 10 s, every 3 s while a run or a
// wait is on. Each NAS outage lasts 2.5 to 3.5 idle polls, so the monitor sees every one.
const MONITOR_INTERVAL_S = 10;
const FAST_INTERVAL_S = 3;
const OUTAGE_MS = [2.5 * MONITOR_INTERVAL_S * 1000, 3.5 * MONITOR_INTERVAL_S * 1000];
// After an outage, the longest wait for the monitor's reachable before the NAS's next outage
// may begin anyway (then the counts below tell the missing event).
const RECOVERY_WAIT_MS = 3 * MONITOR_INTERVAL_S * 1000;
const RUN_SECONDS = 2;
const NASES = [
  { name: 'nasA', https: false, password: 'S0ak-pässwörd+#&%=A' },
  { name: 'nasB', https: true, password: 'S0ak-pässwörd+#&%=B' },
];

/** The operations fed by injects: weight, node type and settings, outputs. */
const OPS = [
  { op: 'tasks', weight: 3, type: 'abm365-query', props: { operation: 'tasks', task: '', taskType: 'all' } },
  { op: 'task', weight: 2, type: 'abm365-query', props: { operation: 'task', task: 'Contoso mail', taskType: 'str' } },
  { op: 'settings', weight: 1, type: 'abm365-query', props: { operation: 'settings', task: 'task', taskType: 'msg' } },
  { op: 'task-log', weight: 2, type: 'abm365-query', props: { operation: 'task-log', task: 'task', taskType: 'msg', keyword: '', offset: '0', limit: '50', allPages: false } },
  { op: 'package-log', weight: 2, type: 'abm365-query', props: { operation: 'package-log', task: '', taskType: 'all', keyword: '', offset: '0', limit: '50', allPages: false } },
  { op: 'workers', weight: 1, type: 'abm365-query', props: { operation: 'workers', task: '', taskType: 'all' } },
  { op: 'run', weight: 2, type: 'abm365-backup', outputs: 2, props: { action: 'run', task: 'task', taskType: 'msg', waitForCompletion: true, waitTimeout: '120' } },
  { op: 'cancel', weight: 0.5, type: 'abm365-backup', outputs: 2, props: { action: 'cancel', task: 'task', taskType: 'msg', waitForCompletion: false, waitTimeout: '120' } },
];

/** Marks the log lines of report nodes: `<MARK>{"id": <report node id>, "value": ...}`. */
const MARK = '@@soak@@';

/**
 * A function node that logs what reaches it as one JSON line (see readReports): the whole msg,
 * or for answers the few keys the soak counts.
 */
function reportNode(id, z, what, name) {
  const value = what === 'answer' ? '{ soak_id: msg.soak_id, started: msg.payload && msg.payload.started, reason: msg.payload && msg.payload.reason, task_id: msg.payload && msg.payload.task_id }' : 'msg';
  const func = `node.log(${JSON.stringify(MARK)} + JSON.stringify({ id: ${JSON.stringify(id)}, value: ${value} }));\nreturn null;`;
  return { id, type: 'function', z, name, func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 0, y: 0, wires: [] };
}

/** Parses report lines from Node-RED's output as it grows, across Node-RED processes. */
class Reports {
  constructor() {
    this.items = [];
    this.archive = []; // the output of earlier Node-RED processes, from their marks
    this.nr = undefined;
    this.from = 0;
  }

  /** Follow this Node-RED process's output from `from`. */
  attach(nr, from = 0) {
    this.nr = nr;
    this.from = from;
  }

  /** Read what the current process wrote since the last pull; returns every item. */
  pull() {
    if (!this.nr) return this.items;
    const text = this.nr.logs();
    const end = text.lastIndexOf('\n') + 1;
    if (end > this.from) {
      const chunk = text.slice(this.from, end);
      this.from = end;
      this.archive.push(chunk);
      for (const line of chunk.split('\n')) {
        const at = line.indexOf(MARK);
        if (at < 0) continue;
        try {
          this.items.push(JSON.parse(line.slice(at + MARK.length)));
        } catch {
          this.items.push({ id: '(unreadable)', value: line.slice(0, 200) });
        }
      }
    }
    return this.items;
  }

  /** Node-RED's output over every process (from each one's mark). */
  log() {
    this.pull();
    return this.archive.join('');
  }
}

/** One tab per NAS: its config node, a monitor, one inject -> node -> debug per operation, a Catch. */
function buildFlows(nases) {
  const flows = [];
  const roles = new Map(); // debug id -> { nas, role, op }
  const injects = [];
  for (const nas of nases) {
    const z = `${nas.name}-tab`;
    const cfg = `${nas.name}-cfg`;
    flows.push({ id: z, type: 'tab', label: `soak ${nas.name}`, disabled: false, info: '', env: [] });
    flows.push({
      id: cfg,
      type: 'abm365-nas',
      name: nas.name,
      host: '127.0.0.1',
      port: String(nas.port),
      protocol: nas.https ? 'https' : 'http',
      tlsMode: nas.https ? 'fingerprint' : 'verify',
      fingerprint: nas.fingerprint256 || '',
      timeout: String(TIMEOUT_S),
      maxConcurrent: '4',
      version: 1,
      credentials: { username: 'admin', password: nas.password },
    });
    // The monitor: events of every task; the HTTPS NAS's also reports error lines of the package log.
    const mon = `${nas.name}-monitor`;
    flows.push({
      id: mon,
      type: 'abm365-monitor',
      z,
      name: `monitor ${nas.name}`,
      nas: cfg,
      task: '',
      taskType: 'all',
      interval: String(MONITOR_INTERVAL_S),
      fastInterval: String(FAST_INTERVAL_S),
      failOnWarning: false,
      logLevel: nas.https ? 'error' : 'none',
      format: 'events',
      staleHours: '24',
      version: 1,
      x: 0,
      y: 0,
      wires: [[`${mon}-out`]],
    });
    flows.push(reportNode(`${mon}-out`, z, 'msg', `events ${nas.name}`));
    roles.set(`${mon}-out`, { nas: nas.name, role: 'event' });
    for (const o of OPS) {
      const id = `${nas.name}-${o.op}`;
      const inj = `${id}-inj`;
      flows.push({ id: inj, type: 'inject', z, name: o.op, props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '', payload: '', payloadType: 'date', x: 0, y: 0, wires: [[id]] });
      const wires = [[`${id}-out`]];
      flows.push(reportNode(`${id}-out`, z, 'answer', `${o.op} out`));
      roles.set(`${id}-out`, { nas: nas.name, role: 'answer', op: o.op });
      if (o.outputs === 2) {
        wires.push([`${id}-done`]);
        flows.push(reportNode(`${id}-done`, z, 'msg', `${o.op} done`));
        roles.set(`${id}-done`, { nas: nas.name, role: 'done', op: o.op });
      }
      flows.push({ id, type: o.type, z, name: `${o.op} ${nas.name}`, nas: cfg, version: 1, x: 0, y: 0, wires, ...o.props });
      injects.push({ id: inj, node: id, nas: nas.name, op: o.op, weight: o.weight, wantsTask: o.props.taskType === 'msg' });
    }
    flows.push({ id: `${nas.name}-catch`, type: 'catch', z, name: '', scope: null, uncaught: false, x: 0, y: 0, wires: [[`${nas.name}-caught`]] });
    flows.push(reportNode(`${nas.name}-caught`, z, 'msg', `caught ${nas.name}`));
    roles.set(`${nas.name}-caught`, { nas: nas.name, role: 'caught' });
  }
  return { flows, roles, injects };
}

// ---------------------------------------------------------------------------------------
// The simulators' process

function startSimulators(simDir, specs) {
  const child = fork(path.join(__dirname, 'soak', 'sim-child.js'), [simDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send({ type: 'start', specs });
  const pending = new Map();
  let nextId = 1;
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', resolve));
  child.once('exit', () => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error('the simulators process exited'));
    pending.clear();
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulators did not start within 20 s')), 20000);
    child.on('message', (m) => {
      if (m && m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.nases);
        return;
      }
      const p = m && pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulators process exited (${code}) before it was ready`));
    });
  });
  const handle = {
    ready,
    call(cmd, args = {}) {
      if (exited) return Promise.reject(new Error('the simulators process has exited'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      });
    },
    async stop() {
      if (exited) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      try {
        await Promise.race([handle.call('stop').catch(() => undefined), exitPromise]);
        await exitPromise;
      } finally {
        clearTimeout(killer);
      }
    },
    killNow() {
      if (!exited) child.kill('SIGKILL');
    },
  };
  h.track(handle);
  return handle;
}

// ---------------------------------------------------------------------------------------
// Helpers

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Math.round((Number(m[1]) / 1024) * 10) / 10;
  } catch {
    /* not Linux: ps below */
  }
  try {
    const out = require('node:child_process').execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
    return Math.round((Number(out.trim()) / 1024) * 10) / 10;
  } catch {
    return null;
  }
}

async function until(check, ms, step = 200) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await h.sleep(step);
  }
}

// ---------------------------------------------------------------------------------------
// The soak

async function main() {
  const startedAt = Date.now();
  const runMs = Math.round(opts.minutes * 60000);
  log(`seed ${seed}; ${opts.minutes} min of faults against 2 simulated NASes`);

  const tarball = await h.packPackage(root, { log });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'abm365-soak-'));
  tempDirs.add(userDir);
  let nr;
  let comms;
  let sims;
  const finish = async () => {
    await comms?.close().catch(() => undefined);
    await nr?.stop().catch(() => undefined);
    await sims?.stop().catch(() => undefined);
    await h.stopAll();
    removeTempDirs();
  };

  try {
    log('installing the package into a fresh userDir');
    await h.installUserDir(userDir, tarball);
    const installed = path.join(userDir, 'node_modules', '@abm365', 'node-red-synology', 'dist', 'simulator');
    const simDir = fs.existsSync(installed) ? installed : path.join(root, 'dist', 'simulator');

    sims = startSimulators(
      simDir,
      NASES.map((n) => ({ name: n.name, https: n.https, password: n.password, tasks: 'demo', runSeconds: RUN_SECONDS, failEvery: 0, sessionIdleSeconds: 3600, blockAfter: 10 })),
    );
    const ready = await sims.ready;
    const nases = NASES.map((n) => ({ ...n, ...ready.find((r) => r.name === n.name) }));
    const taskIds = Object.fromEntries(nases.map((n) => [n.name, n.tasks.map((t) => t.task_id)]));

    const port = await h.freePort();
    // No contextStorage: node context is in memory only, as in the Home Assistant add-on.
    h.writeSettings(userDir, { port, credentialSecret: 'soak-only', extra: { debugMaxLength: 100000 } });
    const startNodeRed = () => h.startNodeRed({ userDir, port, echo: opts.echo });
    nr = await startNodeRed();
    comms = await h.connectComms(nr.url);
    const { flows, roles, injects } = buildFlows(nases);
    const reports = new Reports();
    reports.attach(nr, nr.mark());
    const { rev } = await h.deployFlows(nr.url, flows);
    await h.waitForDeploy(comms, rev, 30000);

    // Every monitor has its baseline once its status shows a poll ("hh:mm · N running, N failing").
    const monitorIds = nases.map((n) => `${n.name}-monitor`);
    for (const id of monitorIds) {
      await comms.waitFor((e) => e.topic === `status/${id}` && /running/.test(String(e.data && e.data.text)), 30000, `the first poll of ${id}`);
    }
    await sims.call('mark');
    // From here on the flows' output is read from the log (see Reports); the editor's
    // websocket is not needed any more and would not survive a restart.
    await comms.close();
    comms = undefined;
    const eventsFrom = reports.pull().length;
    const rssStart = rssMb(nr.pid);
    log(`Node-RED ${nr.url} (pid ${nr.pid}, ${rssStart} MB); soaking until ${new Date(Date.now() + runMs).toISOString()}`);

    // ---- the load ------------------------------------------------------------------------
    const endAt = Date.now() + runMs;
    const sent = new Map(); // soak_id -> { nas, op, node }
    const faultCounts = {};
    const count = (k) => (faultCounts[k] = (faultCounts[k] || 0) + 1);
    const restarting = new Set();
    const restartWork = [];
    // NASes in an outage or a reboot right now; none starts while Node-RED restarts, and
    // Node-RED restarts only when there is none, so each outage is one outage for the monitor.
    const disrupted = new Set();
    let nodeRedRestarting = false;
    // Outages made per NAS, and when the last one ended: a NAS's next outage waits until its
    // monitor said reachable for the last one (bounded by RECOVERY_WAIT_MS from that end or
    // from Node-RED's start, whichever is later). Back to back, with no poll between them that
    // could succeed, two outages are one for any monitor.
    const outagesOn = Object.fromEntries(NASES.map((n) => [n.name, 0]));
    const lastEnd = {};
    let nodeRedStartedAt = 0;
    const reachableOn = (nas) => reports.pull().slice(eventsFrom).filter((d) => roles.get(d.id) && roles.get(d.id).role === 'event' && roles.get(d.id).nas === nas && d.value && d.value.topic === 'reachable').length;
    const recovered = (nas) => lastEnd[nas] === undefined || reachableOn(nas) >= outagesOn[nas] || Date.now() - Math.max(lastEnd[nas], nodeRedStartedAt) > RECOVERY_WAIT_MS;
    // Outages and Node-RED restarts in time (ABM365_SOAK_DEBUG; in the report when the health counts are off).
    const timeline = [];
    const note = (what, nas) => timeline.push({ at: new Date().toISOString(), what, ...(nas ? { nas } : {}) });
    let injectsPaused = false;
    const nodeRedRestarts = [];
    let outages = 0;
    let injectFailures = 0;
    let seq = 0;
    const answerOf = () => new Map(reports.pull().filter((d) => roles.get(d.id) && roles.get(d.id).role === 'answer' && d.value).map((d) => [String(d.value.soak_id), d.value]));
    const caughtIds = () =>
      new Set(
        reports
          .pull()
          .filter((d) => roles.get(d.id) && roles.get(d.id).role === 'caught' && d.value && d.value.soak_id !== undefined)
          .map((d) => String(d.value.soak_id)),
      );
    const unanswered = () => {
      const a = answerOf();
      const c = caughtIds();
      return [...sent.keys()].filter((id) => !a.has(id) && !c.has(id));
    };
    const injectOne = async (inj, task) => {
      const soakId = `s${++seq}`;
      const props = [
        { p: 'payload', v: '', vt: 'date' },
        { p: 'soak_id', v: soakId, vt: 'str' },
      ];
      if (inj.wantsTask) props.push({ p: 'task', v: String(task !== undefined ? task : pick(taskIds[inj.nas])), vt: 'num' });
      try {
        const res = await h.request('POST', `${nr.url}/inject/${inj.id}`, { body: { __user_inject_props__: props }, timeoutMs: 10000 });
        if (res.status === 200) {
          sent.set(soakId, { nas: inj.nas, op: inj.op, node: inj.node, at: Math.floor(Date.now() / 1000) });
          return soakId;
        }
        injectFailures++;
      } catch {
        injectFailures++;
      }
      return undefined;
    };

    const injectLoop = async () => {
      while (Date.now() < endAt) {
        if (!injectsPaused) await injectOne(weighted(injects));
        await h.sleep(between(150, 450));
      }
    };

    // "Schedules" on the NAS: runs that nobody in the flow asked for.
    const scheduleLoop = async (nas) => {
      while (Date.now() < endAt) {
        await h.sleep(between(2500, 6000));
        if (Date.now() >= endAt || restarting.has(nas)) continue;
        await sims.call('startRun', { nas }).catch(() => undefined);
      }
    };

    const faultKinds = [
      { kind: 'kill', weight: 2 },
      { kind: 'html502', weight: 2 },
      { kind: 'delay', weight: 2 },
      { kind: 'drop', weight: 2 },
      { kind: 'malformed', weight: 2 },
      // A reverse proxy answering 502 to everything for several polls while the NAS goes on
      // running its schedules: the runs that end meanwhile must each be reported once, and
      // the monitor must say unreachable once and reachable once.
      { kind: 'outage', weight: 1 },
    ];
    // One-off faults hit the calls the monitor's poll never makes (it reads list_tasks and
    // get_general_log): a failed poll is an outage of its own (one unreachable event), and
    // the soak counts outages it made on purpose. Those two methods still see session kills,
    // NAS reboots and proxy outages.
    const ONE_OFF_METHODS = ['get_all_log', 'get_task_setting', 'get_worker_count', 'backup_task', 'cancel_task'];
    const faultLoop = async () => {
      while (Date.now() < endAt) {
        await h.sleep(between(3000, 7000));
        if (Date.now() >= endAt) break;
        const nas = pick(NASES).name;
        const { kind } = weighted(faultKinds);
        if (kind !== 'outage') count(kind);
        if (kind === 'kill') {
          await sims.call('kill', { nas }).catch(() => undefined);
          continue;
        }
        if (kind === 'outage') {
          if (disrupted.has(nas) || nodeRedRestarting || !recovered(nas)) continue;
          const downMs = Math.round(between(OUTAGE_MS[0], OUTAGE_MS[1]));
          if (Date.now() + downMs + 3000 >= endAt) continue;
          disrupted.add(nas);
          outages++;
          outagesOn[nas]++;
          count(kind);
          note('proxy outage starts', nas);
          const work = sims
            .call('fault', { nas, spec: { kind: 'html502', times: null } })
            .then(() => h.sleep(downMs))
            .then(() => sims.call('clearFaults', { nas }))
            .catch(() => undefined)
            .finally(() => {
              note('proxy outage ends', nas);
              lastEnd[nas] = Date.now();
              disrupted.delete(nas);
            });
          restartWork.push(work);
          continue;
        }
        // ABM365 calls only: a fault on the login would count a session the client never got.
        const spec = { kind, api: 'SYNO.ActiveBackupOffice365', method: pick(ONE_OFF_METHODS), times: 1 + Math.floor(random() * 2) };
        if (kind === 'delay') spec.delayMs = Math.round(TIMEOUT_S * 1000 + between(800, 2000));
        await sims.call('fault', { nas, spec }).catch(() => undefined);
      }
    };

    const restartLoop = async (nas) => {
      const [gapLo, gapHi] = short ? [20000, 35000] : [60000, 120000];
      const [downLo, downHi] = OUTAGE_MS;
      await h.sleep(between(gapLo / 2, gapHi / 2));
      while (Date.now() < endAt) {
        const downMs = Math.round(between(downLo, downHi));
        if (Date.now() + downMs + 3000 >= endAt) break;
        if (disrupted.has(nas) || nodeRedRestarting || !recovered(nas)) {
          await h.sleep(1000);
          continue;
        }
        count('restart');
        outages++;
        outagesOn[nas]++;
        restarting.add(nas);
        disrupted.add(nas);
        note('reboot starts', nas);
        const work = sims
          .call('restart', { nas, downMs })
          .catch(() => undefined)
          .finally(() => {
            note('reboot ends', nas);
            lastEnd[nas] = Date.now();
            restarting.delete(nas);
            disrupted.delete(nas);
          });
        restartWork.push(work);
        await work;
        await h.sleep(between(gapLo, gapHi));
      }
    };

    /**
     * Node-RED stopped and started again on the same userDir (SIGINT: what a service manager or
     * the add-on's update does; it is killed if it does not stop within 8 s). Just before, a
     * backup with wait for completion starts a run on an idle task: it ends while Node-RED is
     * down, and output 2 must still fire once for it afterwards.
     */
    const restartNodeRed = async () => {
      nodeRedRestarting = true;
      try {
        if (!(await until(() => disrupted.size === 0, 40000))) return;
        const nasName = pick(NASES).name;
        const idle = (await sims.call('tasks', { nas: nasName })).filter((t) => !t.running).map((t) => t.task_id);
        const runInject = injects.find((i) => i.nas === nasName && i.op === 'run');
        let waited;
        if (idle.length && runInject) {
          waited = await injectOne(runInject, pick(idle));
          if (waited) await until(() => answerOf().has(waited) || caughtIds().has(waited), 10000);
        }
        // No message in flight: Node-RED drops those on a stop, as it should (they are not lost here).
        injectsPaused = true;
        await until(() => unanswered().length === 0, 10000);
        const record = { at: new Date().toISOString(), waited_run: waited && answerOf().get(waited) ? answerOf().get(waited).started === true : false, rss_mb: rssMb(nr.pid) };
        reports.pull();
        note('Node-RED stops');
        await nr.stop();
        reports.pull();
        record.down_ms = Math.round(between(2000, 5000));
        await h.sleep(record.down_ms);
        nr = await startNodeRed();
        note('Node-RED started');
        nodeRedStartedAt = Date.now();
        reports.attach(nr, 0);
        nodeRedRestarts.push(record);
        log(`Node-RED restarted (pid ${nr.pid})${record.waited_run ? ', a backup wait pending across it' : ''}`);
      } finally {
        injectsPaused = false;
        nodeRedRestarting = false;
      }
    };
    const nodeRedLoop = async () => {
      const [gapLo, gapHi] = short ? [25000, 35000] : [70000, 110000];
      await h.sleep(between(gapLo * 0.3, gapHi * 0.3));
      while (Date.now() + 20000 < endAt) {
        await restartNodeRed();
        await h.sleep(between(gapLo, gapHi));
      }
    };

    await Promise.all([injectLoop(), faultLoop(), nodeRedLoop(), ...NASES.map((n) => scheduleLoop(n.name)), ...NASES.map((n) => restartLoop(n.name))]);

    // ---- drain: no new load, let every run end and every message come back -----------------
    log('load stopped; draining');
    for (const n of NASES) await sims.call('clearFaults', { nas: n.name });
    await Promise.all(restartWork);
    await until(async () => {
      const s = await sims.call('stats');
      return Object.values(s).every((x) => x.running === 0 && !x.restarting);
    }, 60000);
    await until(() => unanswered().length === 0, 40000);
    // Monitor polls for the runs that ended last and the last outage's reachable event:
    // until there are as many finished/failed events as runs ended, and as many reachable as
    // unreachable events (at most a few idle polls).
    const topicCount = (pred) => reports.pull().slice(eventsFrom).filter((d) => roles.get(d.id) && roles.get(d.id).role === 'event' && d.value && pred(d.value.topic)).length;
    const endedCount = async () => Object.values(await sims.call('runs')).reduce((n, list) => n + list.length, 0);
    await until(async () => topicCount((t) => t === 'finished' || t === 'failed') >= (await endedCount()) && topicCount((t) => t === 'reachable') >= topicCount((t) => t === 'unreachable'), 4 * MONITOR_INTERVAL_S * 1000, 500);
    await h.sleep(1000);

    // ---- figures ---------------------------------------------------------------------------
    const rssEnd = rssMb(nr.pid);
    const stats = await sims.call('stats');
    const runs = await sims.call('runs');
    const debug = reports.pull().slice(eventsFrom);
    const nrLog = reports.log();

    // Every run that ended on a NAS since the mark (category-0 line), oldest first.
    const ended = [];
    for (const n of NASES) for (const r of runs[n.name]) ended.push({ nas: n.name, ...r });

    // Messages: each injected msg answered once or caught once (a caught error of a backup's
    // wait for completion comes after its answer and counts apart).
    const answers = new Map();
    const catches = new Map();
    let waitErrors = 0;
    let monitorErrors = 0;
    let otherCatches = 0;
    let completions = 0;
    const events = [];
    const caughtCodes = {};
    // Backup waits: every answer of a backup node with wait for completion that started a run
    // or found it running is one wait; output 2 must fire once for it (its msg keeps soak_id),
    // with the run that ended first after the inject; a wait's error (caught) speaks too.
    const waits = new Map(); // soak_id -> { nas, task, at, done: [payload], errors }
    const anonymousDone = []; // output 2 msgs without a soak_id
    const anonymousWaitErrors = {}; // nas -> n
    for (const d of debug) {
      const role = roles.get(d.id);
      if (!role) continue;
      if (role.role === 'answer') {
        const v = d.value || {};
        answers.set(String(v.soak_id), (answers.get(String(v.soak_id)) || 0) + 1);
        if (role.op === 'run' && (v.started === true || v.reason === 'already running')) {
          const s0 = sent.get(String(v.soak_id));
          waits.set(String(v.soak_id), { nas: role.nas, task: Number(v.task_id), at: s0 ? s0.at : 0, started: v.started === true, done: [], errors: 0 });
        }
      } else if (role.role === 'done') {
        completions++;
        const w = d.value && waits.get(String(d.value.soak_id));
        if (w) w.done.push((d.value && d.value.payload) || {});
        else anonymousDone.push({ nas: role.nas, payload: (d.value && d.value.payload) || {} });
      } else if (role.role === 'event') events.push({ nas: role.nas, msg: d.value });
      else if (role.role === 'caught') {
        const m = d.value || {};
        const code = m.error && m.error.code !== undefined ? String(m.error.code) : '(none)';
        caughtCodes[code] = (caughtCodes[code] || 0) + 1;
        const source = m.error && m.error.source ? String(m.error.source.id) : '';
        if (m.soak_id === undefined) {
          if (source.endsWith('-monitor')) monitorErrors++;
          else if (source === `${role.nas}-run`) {
            // A wait whose msg lost its soak_id (it should not): counted per NAS.
            waitErrors++;
            anonymousWaitErrors[role.nas] = (anonymousWaitErrors[role.nas] || 0) + 1;
          } else otherCatches++;
        } else if (answers.has(String(m.soak_id))) {
          waitErrors++;
          const w = waits.get(String(m.soak_id));
          if (w) w.errors++;
        } else catches.set(String(m.soak_id), (catches.get(String(m.soak_id)) || 0) + 1);
      }
    }
    // The run a wait is for: the first of its task to end after the inject (a wait starts
    // only when the task is idle and we start it, or runs already). Ends are whole seconds: a
    // run that ended in the inject's own second may have ended just before it, so then the
    // next one is right too.
    const acceptedEnds = (w) => {
      // A run this wait started: the first run of the task the API (not a schedule) started
      // after the inject (the simulators' process saw who started each run).
      if (w.started) {
        const ours = ended.filter((r) => r.nas === w.nas && r.task_id === w.task && r.actor && r.actor !== 'scheduler' && r.start >= w.at - 1).sort((a, b) => a.start - b.start);
        if (ours.length) return [ours[0].end];
      }
      const ends = ended
        .filter((r) => r.nas === w.nas && r.task_id === w.task && r.end >= w.at)
        .map((r) => r.end)
        .sort((a, b) => a - b);
      return ends.length && ends[0] === w.at ? ends.slice(0, 2) : ends.slice(0, 1);
    };
    let lostWaits = 0;
    let duplicateWaits = 0;
    let wrongWaits = 0;
    const waitProblems = [];
    const lostByNas = {};
    for (const [id, w] of waits) {
      if (w.done.length === 0 && w.errors === 0) {
        lostByNas[w.nas] = (lostByNas[w.nas] || 0) + 1;
        waitProblems.push(`wait ${id} (${w.nas} task ${w.task}, injected ${w.at}): no output 2, no error`);
      }
      if (w.done.length > 1) {
        duplicateWaits += w.done.length - 1;
        waitProblems.push(`wait ${id} (${w.nas} task ${w.task}): output 2 fired ${w.done.length} times`);
      }
      const want = acceptedEnds(w);
      if (w.done.length && want.length && !want.includes(Number(w.done[0].ended_at))) {
        wrongWaits++;
        waitProblems.push(
          `wait ${id} (${w.nas} task ${w.task}, ${w.started ? 'started' : 'already running'} at ${w.at}): output 2 told the run ended ${w.done[0].ended_at}, not the one ended ${want.join(' or ')}`,
        );
      }
    }
    // Anonymous output 2 msgs or wait errors can only make up for lost waits of their NAS.
    for (const [nas, n] of Object.entries(lostByNas)) {
      const spoken = anonymousDone.filter((a) => a.nas === nas).length + (anonymousWaitErrors[nas] || 0);
      lostWaits += Math.max(0, n - spoken);
    }
    const waitsStarted = waits.size;
    // Health: one unreachable and one reachable per outage (each NAS has one monitor).
    const healthEvents = (topic) => events.filter((e) => e.msg && e.msg.topic === topic).length;
    const unreachableEvents = healthEvents('unreachable');
    const reachableEvents = healthEvents('reachable');
    let lostMessages = 0;
    let doubledMessages = 0;
    for (const id of sent.keys()) {
      const a = answers.get(id) || 0;
      const c = catches.get(id) || 0;
      if (a + c === 0) lostMessages++;
      else if (a + c > 1) doubledMessages++;
    }
    const answeredCount = [...sent.keys()].filter((id) => answers.has(id)).length;
    const caughtInjected = [...sent.keys()].filter((id) => !answers.has(id) && catches.has(id)).length;
    const errorsCaught = [...catches.values()].reduce((s, n) => s + n, 0) + waitErrors + monitorErrors + otherCatches;
    const errorLines = nrLog.split('\n').filter((l) => /\[error\]/.test(l));
    const unhandled = (nrLog.match(/Unhandled|unhandledRejection|uncaught/gi) || []).length;

    // Runs: every run that ended on a NAS (category-0 line) -> exactly one finished/failed event.
    const endEvents = events.filter((e) => e.msg && (e.msg.topic === 'finished' || e.msg.topic === 'failed'));
    const reported = new Map(); // run index -> times
    let unmatchedEvents = 0;
    let wrongResult = 0;
    const resultOf = (r) => (/partially completed/.test(r.description) ? 'warning' : /failed/.test(r.description) ? 'error' : /cancel/.test(r.description) ? 'cancelled' : 'success');
    for (const e of endEvents) {
      const p = e.msg.payload || {};
      const exec = p.log && p.log.task_execution_id !== undefined ? Number(p.log.task_execution_id) : undefined;
      // By (task, run end: DSM's last_execution_time, docs/protocol.md §7); two runs can end in
      // one second (a cancel and a run ending): the result line's execution id, where the event
      // has one, tells them apart.
      const sameTask = (r) => r.nas === e.nas && r.task_id === Number(p.task_id);
      const sameEnd = (r) => p.ended_at !== undefined && r.end === Number(p.ended_at);
      let idx = exec !== undefined ? ended.findIndex((r) => sameTask(r) && r.execution_id === exec && (p.ended_at === undefined || sameEnd(r))) : -1;
      if (idx < 0) idx = ended.findIndex((r, i) => sameTask(r) && sameEnd(r) && !reported.has(i));
      if (idx < 0) idx = ended.findIndex((r) => sameTask(r) && sameEnd(r));
      if (idx < 0) {
        unmatchedEvents++;
        continue;
      }
      reported.set(idx, (reported.get(idx) || 0) + 1);
      const expected = resultOf(ended[idx]);
      const expectedTopic = expected === 'error' ? 'failed' : 'finished';
      if (e.msg.topic !== expectedTopic || p.result !== expected) wrongResult++;
    }
    const lostRuns = ended.filter((_r, i) => !reported.has(i));
    const duplicateEvents = endEvents.length - reported.size;

    const perNas = NASES.map((n) => {
      const s = stats[n.name];
      return { name: n.name, logins: s.logins, failedLogins: s.failedLogins, kills: s.kills, restarts: s.restarts, sessionsKilled: s.sessionKills, requests: s.requests, runs: runs[n.name].length };
    });
    // Each Node-RED process logs in once of its own.
    const nrStarts = nodeRedRestarts.length;
    const loginsOk = perNas.every((p) => p.logins <= p.kills + p.restarts + nrStarts + 1 && p.failedLogins === 0);

    const figures = {
      messages_sent: sent.size,
      messages_answered: answeredCount,
      errors_caught: errorsCaught,
      errors_uncaught: errorLines.length,
      runs_ended: ended.length,
      events_received: endEvents.length,
      lost_events: lostRuns.length,
      duplicate_events: duplicateEvents,
      logins: perNas.reduce((s, p) => s + p.logins, 0),
      session_kills: perNas.reduce((s, p) => s + p.kills, 0),
      restarts: perNas.reduce((s, p) => s + p.restarts, 0),
      unhandled_rejections: unhandled,
      rss_start_mb: rssStart,
      rss_end_mb: rssEnd,
      node_red_restarts: nodeRedRestarts.length,
      outages,
      unreachable_events: unreachableEvents,
      reachable_events: reachableEvents,
      waits_started: waitsStarted,
      lost_waits: lostWaits,
      duplicate_waits: duplicateWaits,
      wrong_waits: wrongWaits,
    };

    const failures = [];
    if (sent.size === 0) failures.push('no message was sent');
    if (lostMessages) failures.push(`${lostMessages} messages neither answered nor caught`);
    if (doubledMessages) failures.push(`${doubledMessages} messages answered or caught more than once`);
    if (errorLines.length) failures.push(`${errorLines.length} errors reached no Catch node`);
    if (ended.length === 0) failures.push('no run ended on the NASes');
    if (lostRuns.length) failures.push(`${lostRuns.length} runs ended without a finished/failed event`);
    if (duplicateEvents) failures.push(`${duplicateEvents} finished/failed events were duplicates or matched no run`);
    if (wrongResult) failures.push(`${wrongResult} events told a wrong result`);
    if (!loginsOk) failures.push('more logins than session kills + NAS restarts + Node-RED restarts + 1 on a NAS (or a refused login)');
    if (unhandled) failures.push(`${unhandled} unhandled rejections / uncaught exceptions in the Node-RED log`);
    if (nr.exited()) failures.push('Node-RED exited during the soak');
    if (nodeRedRestarts.length === 0) failures.push('Node-RED was never restarted');
    if (outages === 0) failures.push('no NAS outage happened');
    if (unreachableEvents !== outages) failures.push(`${unreachableEvents} unreachable events for ${outages} outages`);
    if (reachableEvents !== outages) failures.push(`${reachableEvents} reachable events for ${outages} outages`);
    if (lostWaits) failures.push(`${lostWaits} backup waits never fired output 2 nor failed`);
    if (duplicateWaits) failures.push(`${duplicateWaits} backup waits fired output 2 more than once`);
    if (wrongWaits) failures.push(`${wrongWaits} backup waits reported another run than the one they waited for`);
    if (waitsStarted === 0) failures.push('no backup wait was started');

    // ---- report ----------------------------------------------------------------------------
    const out = [];
    out.push(`soak: ${opts.minutes} min (seed ${seed}), ${((Date.now() - startedAt) / 60000).toFixed(1)} min in all`);
    out.push(`  faults injected: ${Object.entries(faultCounts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    out.push(`  messages: sent ${sent.size}, answered ${answeredCount}, caught ${caughtInjected}, lost ${lostMessages}, answered/caught twice ${doubledMessages}${injectFailures ? `, inject requests failed ${injectFailures}` : ''}`);
    out.push(`  errors: caught by Catch nodes ${errorsCaught} (messages ${caughtInjected}, monitor polls ${monitorErrors}, waits for completion ${waitErrors}, other ${otherCatches}); uncaught ${errorLines.length}`);
    out.push(`  caught codes: ${Object.entries(caughtCodes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    out.push(`  runs ended on the NASes: ${ended.length} (${perNas.map((p) => `${p.name} ${p.runs}`).join(', ')}); finished/failed events ${endEvents.length}; lost ${lostRuns.length}; duplicate ${duplicateEvents} (matching no run ${unmatchedEvents}); wrong result ${wrongResult}; backup waits completed ${completions}`);
    for (const p of perNas) out.push(`  ${p.name}: logins ${p.logins} (<= kills ${p.kills} + restarts ${p.restarts} + Node-RED restarts ${nrStarts} + 1: ${p.logins <= p.kills + p.restarts + nrStarts + 1 ? 'yes' : 'NO'}), refused logins ${p.failedLogins}, requests ${p.requests}`);
    out.push(`  Node-RED restarts: ${nodeRedRestarts.length} (${nodeRedRestarts.filter((r) => r.waited_run).length} with a backup wait pending across them); NAS outages ${outages} (proxy ${faultCounts.outage || 0}, reboots ${faultCounts.restart || 0}): unreachable events ${unreachableEvents}, reachable events ${reachableEvents}`);
    out.push(`  backup waits: ${waitsStarted}, output 2 ${completions} (without soak_id ${anonymousDone.length}), wait errors ${waitErrors}; lost ${lostWaits}; fired twice ${duplicateWaits}; another run ${wrongWaits}`);
    for (const p of waitProblems.slice(0, 5)) out.push(`  ${p}`);
    out.push(`  unhandled rejections / uncaught exceptions: ${unhandled}`);
    out.push(`  RSS of Node-RED: start ${rssStart} MB, end ${rssEnd} MB`);
    if (unreachableEvents !== outages || reachableEvents !== outages) {
      // Which outage went unreported: outages and restarts against the health events in time.
      for (const t of timeline) out.push(`  ${t.at} ${t.what}${t.nas ? ` (${t.nas})` : ''}`);
      for (const e of events.filter((x) => x.msg && (x.msg.topic === 'unreachable' || x.msg.topic === 'reachable'))) {
        const p = e.msg.payload || {};
        out.push(`  event ${e.msg.topic} (${e.nas}): ${p.since ? `since ${p.since} ${p.code}` : `down ${p.down_seconds} s`}`);
      }
    }
    for (const l of errorLines.slice(0, 5)) out.push(`  uncaught: ${l.slice(0, 300)}`);
    for (const r of lostRuns.slice(0, 5)) out.push(`  lost: ${r.nas} task ${r.task_id} run ${r.execution_id} ended ${r.end}: ${r.description}`);
    out.push(failures.length ? `  FAILED: ${failures.join('; ')}` : '  all invariants hold');
    console.log(out.join('\n'));
    if (opts.json) console.log(JSON.stringify(figures));
    if (process.env.ABM365_SOAK_DEBUG) {
      fs.writeFileSync(process.env.ABM365_SOAK_DEBUG, JSON.stringify({ figures, failures, ended, endEvents, waits: [...waits], nodeRedRestarts, timeline, reports: debug, log: nrLog }, null, 1));
    }
    return opts.check && failures.length ? 1 : 0;
  } finally {
    await finish();
  }
}

// Bounded: whatever happens, the soak ends (setup allowance on top of the soak itself).
const hardLimitMs = Math.round(opts.minutes * 60000) + 8 * 60000;
const hardTimer = setTimeout(() => {
  console.error(`soak: still running after ${Math.round(hardLimitMs / 60000)} min: stopping everything`);
  h.stopAll().finally(() => {
    removeTempDirs();
    process.exit(1);
  });
}, hardLimitMs);
hardTimer.unref();

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`soak: ${sig}: stopping everything`);
    h.stopAll().finally(() => {
      removeTempDirs();
      process.exit(130);
    });
  });
}

main().then(
  (code) => {
    clearTimeout(hardTimer);
    process.exitCode = code;
  },
  (err) => {
    clearTimeout(hardTimer);
    console.error(`soak: ${err && err.stack ? err.stack : String(err)}`);
    h.stopAll().finally(() => {
      removeTempDirs();
      process.exit(1);
    });
  },
);
