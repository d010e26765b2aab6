// The ABM365 Home Assistant dialog in a real browser (headless Chromium on a real Node-RED 4.1
// with the packed package, against the simulator): dragged from the palette, filled, checked
// (a bad time zone and a wildcard topic are marked invalid), deployed with the Deploy button,
// and its status read from the canvas. With Mosquitto installed, example 07 runs against it
// for the picture of the wiring. Screenshots: test-artifacts/browser/, and with
// ABM365_DOCS_IMAGES=1 docs/images/ha-dialog.png and ha-flow.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import * as h from '../../scripts/lib/nodered';
import { Simulator } from '../../src/simulator';
import { MOSQUITTO, mosquitto, type Broker } from '../mqtt/broker';
import { CHROMIUM, deployAndOpen, Editor, simulatorNas, startEditor, tearDownEditor, until, type EditorRun } from './editor';

const root = path.resolve(__dirname, '..', '..');
const PASSWORD = 'synology';

describe('ABM365 Home Assistant dialog in a real browser', function () {
  this.timeout(90_000);
  let sim: Simulator;
  let broker: Broker | undefined;
  const run: EditorRun = {};
  let page: Page;
  let ed: Editor;

  const tab = { id: 'abm365hatab', type: 'tab', label: 'Home Assistant', disabled: false, info: '', env: [] };
  const nas = (): h.FlowNode => simulatorNas('abm365hanas', 'Office NAS', sim.port, PASSWORD);
  const reset = (flows: h.FlowNode[]): Promise<void> => deployAndOpen(ed, run.comms, flows);

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    this.timeout(300_000); // build + pack + npm install on a cold cache
    sim = await Simulator.start({ tasks: 'demo', runSeconds: 3, failEvery: 0, password: PASSWORD, quiet: true });
    if (fs.existsSync(MOSQUITTO)) {
      broker = mosquitto(await h.freePort());
      await broker.start();
    }
    ed = await startEditor(run, 'abm365-browser-ha-', { credentialSecret: 'browser-tests-only' });
    page = ed.page;
  });

  tearDownEditor(() => ({ ...run, ed, servers: [broker, sim] }));

  it('dragged from the palette, filled, checked, deployed: the status says how many tasks it publishes', async function () {
    await reset([tab, nas()]);
    const id = await ed.drag('abm365-ha', 300, 120);
    await ed.edit(id);
    await page.locator('#node-input-nas').selectOption(nas().id);
    assert.equal(await page.locator('#node-input-prefix').inputValue(), 'homeassistant', 'the discovery prefix Home Assistant expects');
    assert.equal(await page.locator('#node-input-buttons').isChecked(), true, 'buttons by default');
    await page.locator('#node-input-baseTopic').fill('abm365/office-nas');
    await page.locator('#node-input-baseTopic').press('Tab');
    assert.match(await page.locator('#abm365-ha-wiring').innerText(), /abm365\/office-nas\/task\/\+\/\+.*homeassistant\/status/s, 'the dialog shows the wiring for this base topic');

    // Wrong values are marked invalid.
    await page.locator('#node-input-timeZone').fill('Mars/Olympus');
    await page.locator('#node-input-timeZone').press('Tab');
    await page.locator('#node-input-timeZone.input-error').waitFor({ state: 'visible', timeout: 5000 });
    await page.locator('#node-input-prefix').fill('homeassistant/#');
    await page.locator('#node-input-prefix').press('Tab');
    await page.locator('#node-input-prefix.input-error').waitFor({ state: 'visible', timeout: 5000 });
    await page.locator('#node-input-fastInterval').fill('1');
    await page.locator('#node-input-fastInterval').press('Tab');
    await page.locator('#node-input-fastInterval.input-error').waitFor({ state: 'visible', timeout: 5000 });

    await page.locator('#node-input-prefix').fill('homeassistant');
    await page.locator('#node-input-timeZone').fill('Europe/Berlin');
    await page.locator('#node-input-fastInterval').fill('5');
    await page.locator('#node-input-interval').fill('30');
    await page.locator('#node-input-staleHours').fill('24');
    await page.locator('#node-input-failOnWarning').check();
    await page.locator('#node-input-staleHours').press('Tab');
    assert.equal(await ed.tray().locator('.input-error:visible').count(), 0, 'no field is marked invalid');
    const untranslated = (await ed.tray().innerText()).match(/\babm365-[a-z]+\.[A-Za-z]+\.[A-Za-z]/g);
    assert.equal(untranslated, null, 'every text of the dialog comes from the message catalog');
    const help = await page.evaluate(() => (globalThis as unknown as { RED: { nodes: { getNodeHelp(type: string): string } } }).RED.nodes.getNodeHelp('abm365-ha') ?? '');
    assert.match(help, /mqtt in/, 'the help draws the wiring');
    await ed.shotTall('abm365-ha-dialog', 'ha-dialog.png');
    await ed.done();

    const n = await ed.node(id);
    assert.ok(n);
    assert.equal(n.nas, nas().id);
    assert.notEqual(n.valid, false);
    const got = { baseTopic: n.baseTopic, timeZone: n.timeZone, interval: String(n.interval), fastInterval: String(n.fastInterval), staleHours: String(n.staleHours), failOnWarning: n.failOnWarning, buttons: n.buttons, taskType: n.taskType };
    assert.deepEqual(got, { baseTopic: 'abm365/office-nas', timeZone: 'Europe/Berlin', interval: '30', fastInterval: '5', staleHours: '24', failOnWarning: true, buttons: true, taskType: 'all' });

    await ed.deploy();
    const tasks = sim.abm.tasks.length;
    const status = await until(async () => {
      const s = await ed.status(id);
      return s?.text && /published/.test(s.text) ? s : null;
    }, 30_000, 'the bridge status on the canvas');
    assert.match(String(status.text), new RegExp(`^${tasks} tasks published, NAS online`));
    assert.equal(status.fill, 'green');
  });

  it('example 07 deployed: the wiring as users see it', async function () {
    if (!broker) this.skip(); // no Mosquitto: the mqtt nodes would show "disconnected" in the picture
    const ex = h.loadExamples(path.join(root, 'examples')).filter((e) => e.file.startsWith('07 '));
    const flows = h.mergeExamples(ex, { host: '127.0.0.1', port: sim.port, protocol: 'http', credentials: { username: 'admin', password: PASSWORD } });
    for (const n of flows) if (n.type === 'mqtt-broker') n.port = String(broker!.port);
    await reset(flows);
    const haId = flows.find((n) => n.type === 'abm365-ha')!.id;
    await until(async () => /published/.test(String((await ed.status(haId))?.text)), 30_000, 'the bridge status');
    const outId = flows.find((n) => n.type === 'mqtt out')!.id;
    await until(async () => /connected/.test(String((await ed.status(outId))?.text)), 30_000, 'the mqtt out connected');
    await ed.tidyForPicture();
    await ed.shot('abm365-ha-flow', undefined, 'ha-flow.png', { x: 178, y: 48, width: 900, height: 320 });
  });
});
