'use strict';
// The soak's NASes: simulators in a process of their own, driven over IPC by scripts/soak.js,
// so that a restart really takes the listener away and the Node-RED process under test sees
// nothing but HTTP. Started with `fork(thisFile, [distSimulatorDir])`, then sent
// { type: 'start', specs } (over IPC: the NAS passwords stay out of the process list).
//
// Requests (parent -> child): { id, cmd, ...args }; answers (child -> parent): { id, ok, result }
// or { id, ok: false, error }. The child sends { type: 'ready', nases } once listening, and
// stops its simulators and exits when the parent goes away.
const path = require('node:path');

const simDir = path.resolve(process.argv[2] || path.join(__dirname, '..', '..', 'dist', 'simulator'));
const { Simulator } = require(simDir);

/** name -> { sim, runs: Map<"task:exec", {end}>, starts: Map<"task:exec", {start, actor}>, baseLogLength, restarting, kills, restarts } */
const nases = new Map();
let scanTimer;
let stopping = false;

function runKey(taskId, exec) {
  return `${Number(taskId)}:${Number(exec)}`;
}

/** list_tasks' event_log holds each ended run's end (last_execution_time, docs/protocol.md §7): keep them all (it is capped at 50). */
function scanEventLog(nas) {
  // Runs in progress: who started each (the soak tells a backup node's run from a schedule's).
  const active = nas.sim.abm.runs;
  if (active instanceof Map) {
    for (const [taskId, run] of active) {
      const key = runKey(taskId, run.executionId);
      if (!nas.starts.has(key)) nas.starts.set(key, { start: Number(run.startSec), actor: String(run.actor) });
    }
  }
  for (const e of nas.sim.abm.eventLog) {
    const key = runKey(e.task_id, e.task_execution_id);
    if (!nas.runs.has(key)) nas.runs.set(key, { end: Number(e.last_execution_time) });
  }
}

/** Runs ended since the mark: the general log's category-0 lines, with their end from event_log. */
function endedRuns(nas) {
  scanEventLog(nas);
  const log = nas.sim.abm.generalLog; // newest first, only ever grows at the front
  const fresh = log.slice(0, Math.max(0, log.length - nas.baseLogLength));
  const out = [];
  for (const line of fresh) {
    if (Number(line.category) !== 0) continue;
    const known = nas.runs.get(runKey(line.task_id, line.task_execution_id));
    const started = nas.starts.get(runKey(line.task_id, line.task_execution_id));
    out.push({
      task_id: Number(line.task_id),
      execution_id: Number(line.task_execution_id),
      start: started ? started.start : null,
      actor: started ? started.actor : null,
      end: known ? known.end : Number(line.timestamp),
      description: String(line.description),
      log_type: Number(line.log_type),
    });
  }
  return out.reverse(); // oldest first
}

function nasOf(name) {
  const nas = nases.get(name);
  if (!nas) throw new Error(`no NAS named ${name}`);
  return nas;
}

function statsOf(nas) {
  const s = nas.sim;
  return {
    ...s.stats,
    kills: nas.kills,
    restarts: nas.restarts,
    restarting: nas.restarting,
    running: s.abm.tasks.filter((t) => s.abm.isRunning(t.task_id)).length,
    sessions: s.auth.sessions.size,
    pendingFaults: s.faults.pending().length,
  };
}

const commands = {
  /** Adds a fault (FaultSpec). */
  fault({ nas, spec }) {
    nasOf(nas).sim.faults.add(spec.times === null ? { ...spec, times: Infinity } : spec);
    return true;
  },
  clearFaults({ nas }) {
    nasOf(nas).sim.faults.clear();
    return true;
  },
  /** Drops every session of the NAS (the next call answers 119). */
  kill({ nas }) {
    const n = nasOf(nas);
    n.kills += 1;
    n.sim.faults.killSessions();
    return true;
  },
  /** A reboot: sessions gone, listener away for downMs, back on the same port (tasks and logs kept). */
  async restart({ nas, downMs }) {
    const n = nasOf(nas);
    if (n.restarting) return false;
    n.restarting = true;
    n.restarts += 1;
    try {
      n.sim.auth.killSessions();
      await n.sim.restart(downMs);
    } finally {
      n.restarting = false;
    }
    return true;
  },
  /** Starts a run of the given task, or of a random idle one ("a schedule fired"); the started task id or null. */
  startRun({ nas, taskId, actor }) {
    const abm = nasOf(nas).sim.abm;
    const idle = abm.tasks.filter((t) => !abm.isRunning(t.task_id)).map((t) => t.task_id);
    const id = taskId !== undefined ? taskId : idle[Math.floor(Math.random() * idle.length)];
    if (id === undefined) return null;
    return abm.startRun(id, actor || 'scheduler') ? id : null;
  },
  /** From now on, runs ended count (the monitors have their baseline). */
  mark() {
    for (const nas of nases.values()) {
      scanEventLog(nas);
      nas.baseLogLength = nas.sim.abm.generalLog.length;
      nas.sim.resetRecording();
      nas.kills = 0;
      nas.restarts = 0;
    }
    return true;
  },
  stats() {
    const out = {};
    for (const [name, nas] of nases) out[name] = statsOf(nas);
    return out;
  },
  runs() {
    const out = {};
    for (const [name, nas] of nases) out[name] = endedRuns(nas);
    return out;
  },
  tasks({ nas }) {
    return nasOf(nas).sim.abm.tasks.map((t) => ({ task_id: t.task_id, task_name: t.task_name, running: nasOf(nas).sim.abm.isRunning(t.task_id) }));
  },
  async stop() {
    await stopAll();
    return true;
  },
};

async function stopAll() {
  if (stopping) return;
  stopping = true;
  clearInterval(scanTimer);
  await Promise.allSettled([...nases.values()].map((n) => n.sim.stop()));
}

process.on('message', (req) => {
  if (req && req.type === 'start') {
    start(req.specs).catch((err) => {
      process.stderr.write(`soak simulators: ${err && err.stack ? err.stack : String(err)}\n`);
      process.exit(1);
    });
    return;
  }
  if (!req || typeof req !== 'object' || !req.cmd) return;
  const fn = commands[req.cmd];
  Promise.resolve()
    .then(() => {
      if (!fn) throw new Error(`unknown command ${req.cmd}`);
      return fn(req);
    })
    .then(
      (result) => process.send && process.connected && process.send({ id: req.id, ok: true, result }),
      (err) => process.send && process.connected && process.send({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    )
    .then(() => {
      if (req.cmd === 'stop') process.exit(0);
    });
});

// The parent died or let go of us: no simulator outlives the soak.
process.on('disconnect', () => {
  void stopAll().then(() => process.exit(0));
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void stopAll().then(() => process.exit(0)));

async function start(specs) {
  if (nases.size > 0) return;
  for (const spec of specs) {
    const { name, ...options } = spec;
    const sim = await Simulator.start({ quiet: true, ...options });
    nases.set(name, { sim, runs: new Map(), starts: new Map(), baseLogLength: sim.abm.generalLog.length, restarting: false, kills: 0, restarts: 0 });
  }
  scanTimer = setInterval(() => {
    for (const nas of nases.values()) scanEventLog(nas);
  }, 200);
  const info = [...nases].map(([name, n]) => ({ name, url: n.sim.url, port: n.sim.port, fingerprint256: n.sim.fingerprint256 || null, tasks: n.sim.abm.tasks.map((t) => ({ task_id: t.task_id, task_name: t.task_name })) }));
  process.send({ type: 'ready', nases: info });
}
