'use strict';
// The simulator for the benchmark, in a process of its own so that its CPU never counts in
// the measured event loop. Forked by scripts/bench.js; commands come over IPC, so the
// simulator's HTTP front sees only the traffic being measured. It imports the built
// simulator module directly (bench-only commands like setTaskLogLines need the object).
const path = require('node:path');

const dist = path.resolve(__dirname, '..', '..', 'dist');
const { Simulator } = require(path.join(dist, 'simulator'));

let sim;

/** Requests recorded since the last reset, by DSM method (api name when there is none). */
function counts() {
  const byMethod = {};
  for (const r of sim.requests) {
    const key = r.method || r.api || r.path;
    byMethod[key] = (byMethod[key] || 0) + 1;
  }
  return { ...sim.stats, byMethod };
}

const commands = {
  info: () => ({ url: sim.url, port: sim.port }),
  // Drop the request log (it holds every request) and zero the counters.
  reset: () => {
    sim.resetRecording();
    return true;
  },
  counts,
  // Method and time (ms) of every request since the reset: the fan-in case counts by poll.
  requests: () => sim.requests.map((r) => ({ method: r.method || r.api || r.path, at: r.at })),
  setTaskLogLines: (m) => {
    sim.abm.setTaskLogLines(m.taskId, m.n);
    return sim.abm.taskLog(m.taskId).length;
  },
  setRunSeconds: (m) => {
    sim.abm.runSeconds = m.seconds;
    return true;
  },
  // Runs under the bench's control: started here, ended at a time the bench picks (Date.now()
  // of the end is the answer: the detect case times the monitor's event from it).
  startRun: (m) => sim.abm.startRun(m.taskId, 'bench'),
  finishRun: (m) => {
    const at = Date.now();
    return sim.abm.finishRun(m.taskId, m.outcome) ? at : null;
  },
  taskIds: () => sim.abm.tasks.map((t) => Number(t.task_id)),
  running: () => sim.abm.tasks.filter((t) => sim.abm.isRunning(t.task_id)).map((t) => Number(t.task_id)),
  memory: () => process.memoryUsage(),
  cpu: () => process.cpuUsage(),
  stop: async () => {
    await sim.stop();
    return true;
  },
};

process.on('message', (m) => {
  Promise.resolve()
    .then(() => {
      const fn = commands[m.cmd];
      if (!fn) throw new Error(`unknown command ${m.cmd}`);
      return fn(m);
    })
    .then(
      (result) => process.send({ id: m.id, ok: true, result }),
      (e) => process.send({ id: m.id, ok: false, error: String((e && e.stack) || e) }),
    );
  if (m.cmd === 'stop') setTimeout(() => process.exit(0), 200).unref();
});

// The bench went away without stopping us: stop too.
process.on('disconnect', () => {
  Promise.resolve(sim && sim.stop()).finally(() => process.exit(0));
});

Simulator.start({
  host: '127.0.0.1',
  port: 0,
  https: process.argv.includes('--https'),
  quiet: true,
  runSeconds: Number(process.env.BENCH_RUN_SECONDS || 2),
}).then(
  (s) => {
    sim = s;
    process.send({ ready: true, url: s.url, port: s.port, fingerprint256: s.fingerprint256 || '' });
  },
  (e) => {
    process.send({ ready: false, error: String(e) });
    process.exit(1);
  },
);
