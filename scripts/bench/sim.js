'use strict';
// The simulator process of the benchmark (sim-child.js) seen from the bench: start, commands
// over IPC, stop.
const { fork } = require('node:child_process');
const path = require('node:path');

class SimProcess {
  constructor(child, ready) {
    this.child = child;
    this.url = ready.url;
    this.port = ready.port;
    this.nextId = 1;
    this.pending = new Map();
    this.exited = false;
    child.on('message', (m) => {
      const p = m && m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`simulator: ${m.error}`));
    });
    child.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error('simulator process exited'));
      this.pending.clear();
    });
  }

  static start({ https = false, runSeconds = 2 } = {}) {
    const child = fork(path.join(__dirname, 'sim-child.js'), https ? ['--https'] : [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_RUN_SECONDS: String(runSeconds) },
    });
    return new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`simulator process exited with ${code} before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        if (m && m.ready) resolve(new SimProcess(child, m));
        else {
          child.kill();
          reject(new Error(`simulator did not start: ${m && m.error}`));
        }
      });
    });
  }

  call(cmd, extra = {}) {
    if (this.exited) return Promise.reject(new Error('simulator process exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, ...extra });
    });
  }

  reset() {
    return this.call('reset');
  }

  counts() {
    return this.call('counts');
  }

  /** Stops the simulator process (SIGKILL if it does not go within 3 s). */
  async stop() {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    await Promise.race([this.call('stop').catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }

  killNow() {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

module.exports = { SimProcess };
