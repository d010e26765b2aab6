// A restart of the Node-RED process itself, as the Home Assistant add-on does on every update:
// a real Node-RED 4.1 with the packed package and NO persistent context store, killed hard
// (SIGKILL, nothing runs on the way down) while a backup node waits for a run, and started
// again on the same user directory. The monitor memory and the pending wait live in
// <userDir>/abm365/<config node id>.json (src/monitor/persist.ts):
// - the run reported before the kill is not reported again;
// - the run that ended while Node-RED was down is reported once (`failed`);
// - the backup node's output 2 fires once for the run it was waiting for.
// Polls are forced by an inject node repeating every second into the monitor (any input polls
// now), so the test does not wait for the 10 s floor of the interval.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../scripts/lib/nodered';
import { Simulator } from '../../src/simulator';
import { packedUserDir, startOnFreePort, tearDownNodeRed } from '../support/real-nodered';

const TAB = 'restarttab';
type Json = Record<string, unknown>;

function debugNode(id: string): Json {
  return { id, type: 'debug', z: TAB, name: id, active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto', x: 0, y: 0, wires: [] };
}

function inject(id: string, to: string, repeat = ''): Json {
  return { id, type: 'inject', z: TAB, name: id, props: [{ p: 'payload' }], repeat, crontab: '', once: repeat !== '', onceDelay: 0.5, topic: '', payload: '', payloadType: 'date', x: 0, y: 0, wires: [[to]] };
}

describe('restart of the Node-RED process without a persistent context store', function () {
  this.timeout(240_000);
  let sim: Simulator;
  let nr: h.NodeRedProcess | undefined;
  let comms: h.Comms | undefined;
  let userDir = '';

  function flows(): Json[] {
    const url = new URL(sim.url);
    return [
      { id: TAB, type: 'tab', label: 'restart', disabled: false, info: '', env: [] },
      { id: 'nasR', type: 'abm365-nas', name: 'sim', host: url.hostname, port: url.port, protocol: 'http', tlsMode: 'verify', fingerprint: '', timeout: '5', maxConcurrent: '4', credentials: { username: 'admin', password: 'synology' } },
      inject('tick', 'mon', '1'),
      { id: 'mon', type: 'abm365-monitor', z: TAB, name: 'mon', nas: 'nasR', task: '', taskType: 'all', interval: '60', fastInterval: '10', failOnWarning: false, logLevel: 'none', format: 'events', staleHours: '0', x: 0, y: 0, wires: [['events']] },
      inject('go', 'bk'),
      { id: 'bk', type: 'abm365-backup', z: TAB, name: 'bk', nas: 'nasR', task: '1', taskType: 'num', action: 'run', waitForCompletion: true, waitTimeout: '600', x: 0, y: 0, wires: [['started'], ['ended']] },
      debugNode('events'),
      debugNode('started'),
      debugNode('ended'),
    ];
  }

  async function start(): Promise<void> {
    // No contextStorage in the settings: node context is in memory and dies with the process.
    nr = await startOnFreePort(userDir, { credentialSecret: 'restart-e2e-secret' });
    comms = await h.connectComms(nr.url);
  }

  /** SIGKILL: no close handler runs, what is not on disk is gone. */
  async function kill(): Promise<void> {
    await comms?.close();
    comms = undefined;
    nr?.killNow();
    await nr?.stop();
    nr = undefined;
  }

  const ofEvent = (name: string) => (d: h.DebugMessage): boolean => d.id === 'events' && d.value?.topic === name;
  const ended = (d: h.DebugMessage): boolean => d.id === 'ended';

  before(async function () {
    this.timeout(300_000);
    sim = await Simulator.start({ runSeconds: 600, quiet: true });
    userDir = await packedUserDir('abm365-e2e-restart-');
  });

  tearDownNodeRed(() => ({ nr, comms, userDir, servers: [sim] }));

  it('neither repeats nor loses a run, and the waiting backup node fires output 2 once', async () => {
    await start();
    assert.ok(nr && comms);
    const { rev } = await h.deployFlows(nr.url, flows() as h.FlowNode[]);
    await h.waitForDeploy(comms, rev);
    await comms.waitFor((e) => e.topic === 'status/mon' && /running/.test(String((e.data as Json)?.text)), 20_000, 'the first poll');

    // Run 1 ends while Node-RED runs: one `finished`, reported now.
    assert.ok(sim.abm.startRun(1));
    await comms.waitForDebug(ofEvent('started'), 20_000, 'run 1 started');
    sim.abm.finishRun(1, 'success');
    await comms.waitForDebug(ofEvent('finished'), 20_000, 'run 1 finished');

    // Run 2 started by the backup node, which waits for its end.
    await h.injectNode(nr.url, 'go');
    const out1 = await comms.waitForDebug((d) => d.id === 'started', 20_000, 'output 1 of the backup node');
    assert.equal(out1.value?.payload?.started, true);
    await comms.waitForDebugCount(ofEvent('started'), 2, 20_000, 'run 2 seen running');
    const file = path.join(userDir, 'abm365', 'nasR.json');
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { memories: Json; waits: Record<string, unknown[]> };
    assert.ok(kept.memories.mon, 'the monitor memory is in the file');
    assert.equal(kept.waits.bk?.length, 1, 'the pending wait is in the file');

    await kill();
    // While Node-RED is down, run 2 fails.
    sim.abm.finishRun(1, 'error');
    const runEnd = Number(sim.abm.task(1)?.last_execution_time);

    await start();
    assert.ok(nr && comms);
    const failed = await comms.waitForDebug(ofEvent('failed'), 30_000, 'the run that ended while Node-RED was down');
    const out2 = await comms.waitForDebug(ended, 30_000, 'output 2 of the re-armed wait');
    // Several more forced polls: nothing may come twice.
    const mark = sim.callsTo('list_tasks').length;
    while (sim.callsTo('list_tasks').length < mark + 4) await h.sleep(250);
    await h.sleep(500);

    const debug = comms.debug();
    assert.equal(debug.filter(ofEvent('failed')).length, 1, 'run 2 reported once');
    assert.equal(debug.filter(ofEvent('finished')).length, 0, 'run 1 not reported again');
    assert.equal(debug.filter(ended).length, 1, 'output 2 once');
    assert.equal(failed.value?.payload?.task_id, 1);
    assert.equal(failed.value?.payload?.result, 'error');
    assert.equal(failed.value?.payload?.ended_at, runEnd);
    assert.equal(out2.value?.payload?.result, 'error');
    assert.equal(out2.value?.payload?.ended_at, runEnd);
    assert.equal(out2.value?.payload?.started_at, runEnd - Number(out2.value?.payload?.duration));
    const after = JSON.parse(fs.readFileSync(file, 'utf8')) as { waits: Record<string, unknown[]> };
    assert.equal(after.waits.bk, undefined, 'the wait is done');
  });
});
