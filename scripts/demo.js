#!/usr/bin/env node
'use strict';
// `npm start`: the whole thing on one machine, no NAS needed.
//  1. builds and packs the package, installs the tarball into a Node-RED userDir in .demo/
//     (as users install it: `npm install --omit=dev`, no links),
//  2. starts the simulator (a DSM look-alike over HTTPS, three demo tasks, one of which
//     fails every third run) on 5001, or a free port when 5001 is taken,
//  3. starts Node-RED 4.1 on 127.0.0.1:$PORT (or --port, default 1880) with the example
//     flows, each on its own tab, sharing ONE config node that points at the simulator
//     with its certificate pinned and the demo login (admin / synology) preloaded,
//  4. prints both addresses and stops both on Ctrl-C.
// Flows you change are kept across restarts (only the simulator's address and certificate
// are updated); `npm start -- --reset` loads the examples afresh.
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/nodered');

const root = h.repoRoot;
const demoDir = path.join(root, '.demo');
const DEMO_NAS_ID = 'abm365nasdemo';
const DEMO_SECRET = 'abm365-demo-only-not-a-secret';
const SIM_USER = 'admin';
const SIM_PASSWORD = 'synology';

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : undefined;
}
const flag = (name) => process.argv.includes(`--${name}`);

if (flag('help') || flag('h')) {
  console.log(`npm start [-- --port 1880] [--sim-port 5001] [--reset] [--quiet]

Starts the simulated NAS and Node-RED with the example flows.
  --port N      Node-RED's port (also PORT=N); default 1880
  --sim-port N  the simulator's port; default 5001, or a free one when taken
  --reset       replace the demo's flows with the examples again
  --quiet       don't show Node-RED's log`);
  process.exit(0);
}

const say = (line) => console.log(`demo: ${line}`);

function loadSimulator() {
  // The simulator from the installed package (what `npx abm365-simulator` runs).
  const installed = path.join(demoDir, 'node_modules', '@abm365', 'node-red-synology', 'dist', 'simulator', 'index.js');
  return require(fs.existsSync(installed) ? installed : path.join(root, 'dist', 'simulator', 'index.js'));
}

function demoNas(sim) {
  return {
    name: 'Demo NAS (simulator)',
    host: '127.0.0.1',
    port: sim.port,
    protocol: 'https',
    tlsMode: 'fingerprint',
    fingerprint: sim.fingerprint256,
  };
}

/** Points the demo's config node in an existing flows.json at this run's simulator. */
function updateSavedFlows(flowFile, nas) {
  let flows;
  try {
    flows = JSON.parse(fs.readFileSync(flowFile, 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(flows) || flows.length === 0) return false;
  const node = flows.find((n) => n.id === DEMO_NAS_ID && n.type === 'abm365-nas');
  if (node) Object.assign(node, nas);
  else say(`your saved flows no longer hold the demo's config node (${DEMO_NAS_ID}); use --reset to load the examples again`);
  fs.writeFileSync(flowFile, JSON.stringify(flows, null, 4));
  return true;
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping Node-RED and the simulator');
  await h.stopAll();
  say('stopped');
  process.exit(code);
}

async function main() {
  // From the start: Ctrl-C while building or installing also ends cleanly.
  process.on('SIGINT', () => (stopping ? process.exit(130) : shutdown(0)));
  process.on('SIGTERM', () => shutdown(0));
  const explicitPort = option('port') || process.env.PORT;
  const wantedPort = Number(explicitPort || 1880);
  if (!Number.isInteger(wantedPort) || wantedPort < 1 || wantedPort > 65535) throw new Error(`not a port: ${explicitPort}`);
  let port = wantedPort;
  if (!(await h.isPortFree(port))) {
    if (explicitPort) throw new Error(`port ${port} is in use: choose another with PORT=<port> npm start`);
    port = await h.freePort();
    say(`port 1880 is in use, so Node-RED gets ${port} (choose with PORT=<port> npm start)`);
  }

  const tarball = await h.packPackage(root, { log: say });
  say(`installing ${path.basename(tarball)} into .demo/ (npm install --omit=dev)`);
  await h.installUserDir(demoDir, tarball);

  const { Simulator } = loadSimulator();
  const simPort = await h.freePort(Number(option('sim-port') || 5001));
  const sim = await Simulator.start({
    port: simPort,
    https: true,
    user: SIM_USER,
    password: SIM_PASSWORD,
    tasks: 'demo',
    runSeconds: 20,
    failEvery: 3,
    quiet: true,
  });
  h.track({ stop: () => Promise.resolve(sim.stop()), killNow: () => {} });

  const flowFile = path.join(demoDir, 'flows.json');
  const credFile = path.join(demoDir, 'flows_cred.json');
  const nas = demoNas(sim);
  let deployExamples = true;
  if (flag('reset')) {
    fs.rmSync(flowFile, { force: true });
    fs.rmSync(credFile, { force: true });
  } else if (fs.existsSync(flowFile) && fs.existsSync(credFile) && updateSavedFlows(flowFile, nas)) {
    deployExamples = false;
  }
  if (deployExamples) {
    fs.rmSync(flowFile, { force: true });
    fs.rmSync(credFile, { force: true });
  }

  h.writeSettings(demoDir, { port, credentialSecret: DEMO_SECRET });
  say('starting Node-RED');
  const nr = await h.startNodeRed({ userDir: demoDir, port });
  if (deployExamples) {
    const examples = h.loadExamples();
    const flows = h.mergeExamples(examples, { ...nas, credentials: { username: SIM_USER, password: SIM_PASSWORD } }, { nasId: DEMO_NAS_ID });
    const mark = nr.mark();
    await h.deployFlows(nr.url, flows);
    // The answer comes before the flows have started: wait, so the summary comes last.
    await nr.waitFor(/Started flows|Waiting for missing types/, 15000, mark).catch(() => {});
    say(`loaded ${examples.length} example flows, one tab each, sharing the config node "${nas.name}"`);
  } else {
    say('kept your flows from the last run (npm start -- --reset loads the examples again)');
  }

  console.log(`
  Node-RED editor   ${nr.url}/
  Simulated NAS     ${sim.url}  (user ${SIM_USER}, password ${SIM_PASSWORD})
                    certificate SHA-256 ${sim.fingerprint256}
  Demo files        .demo/ (userDir; git-ignored)

  Open the editor, press the inject buttons and watch the Debug sidebar.
  Press Ctrl-C to stop both.
`);
  if (!flag('quiet')) {
    const forward = (chunk) => process.stdout.write(String(chunk).replace(/^(?=.)/gm, '[node-red] '));
    nr.process.stdout.on('data', forward);
    nr.process.stderr.on('data', forward);
  }

  nr.process.once('exit', (code, signal) => {
    if (stopping) return;
    say(`Node-RED exited (${signal || code}); stopping the simulator`);
    shutdown(1);
  });
}

main().catch(async (err) => {
  console.error(`demo: ${err.message}`);
  await h.stopAll();
  process.exit(1);
});
