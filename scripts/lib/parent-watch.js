'use strict';
// Preloaded (node --require) into processes the harness starts: when the process that
// started us is gone (killed without a chance to stop us), stop too, instead of living on
// as an orphan holding a port.
const parent = Number(process.env.ABM365_PARENT_PID) || process.ppid;
const timer = setInterval(() => {
  let alive = true;
  try {
    process.kill(parent, 0);
  } catch {
    alive = false;
  }
  if (!alive || process.ppid !== parent) {
    clearInterval(timer);
    process.kill(process.pid, 'SIGINT');
    setTimeout(() => process.exit(1), 5000).unref();
  }
}, 1000);
timer.unref();
