// The editor in a real browser: headless Chromium on a real Node-RED 4.1 process that has the
// packed package installed (scripts/lib/nodered.js), against the simulator. Nodes are dragged
// from the palette, dialogs filled with the keyboard and mouse, Test connection / Pair / the
// task picker pressed, flows deployed with the Deploy button and run with the inject button,
// and the output read in the Debug sidebar. Screenshots of every dialog go to
// test-artifacts/browser/ (and, with ABM365_DOCS_IMAGES=1, the README's ones to docs/images/).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Page } from 'playwright-core';
import * as h from '../../scripts/lib/nodered';
import { Simulator } from '../../src/simulator';
import { CHROMIUM, deployAndOpen, Editor, simulatorNas, startEditor, tearDownEditor, until, type EditorRun } from './editor';

const PASSWORD = 'synology';
const TWO_STEP = { username: 'twostep', password: 'pw', otp: '123456' };
const TASK = 'Contoso mail';

describe('editor in a real browser (Chromium, Node-RED 4.1, packed package)', function () {
  this.timeout(90_000);
  let sim: Simulator;
  let simTls: Simulator;
  const run: EditorRun = {};
  let page: Page;
  let ed: Editor;

  const tab = { id: 'abm365browsertab', type: 'tab', label: 'ABM365', disabled: false, info: '', env: [] };
  const nasBase = (): h.FlowNode => simulatorNas('abm365browsernas', 'Simulator', sim.port, PASSWORD);
  const reset = (flows: h.FlowNode[]): Promise<void> => deployAndOpen(ed, run.comms, flows);

  /** Waits until the runtime runs the flows of revision `rev` (deployed from the editor). */
  async function running(rev: string): Promise<void> {
    assert.ok(run.comms);
    await h.waitForDeploy(run.comms, rev, 20_000);
  }

  /** Presses the inject button and resolves with the text of the next debug message, expanded. */
  async function pressAndRead(injectId: string, expect: RegExp): Promise<string> {
    await ed.clearDebug();
    await ed.pressInject(injectId);
    await ed.debugMessages().first().waitFor({ state: 'visible', timeout: 20_000 });
    // Other debug nodes may print too: look at every message.
    return until(
      async () => {
        const n = await ed.debugMessages().count();
        for (let i = 0; i < n; i++) {
          const msg = ed.debugMessages().nth(i);
          await ed.expandDebug(msg);
          const text = await msg.innerText();
          if (expect.test(text)) return text;
        }
        return '';
      },
      15_000,
      `a debug message matching ${expect}`,
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\ndebug sidebar: ${(await ed.debugMessages().allInnerTexts()).join('\n---\n')}`);
    });
  }

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    this.timeout(300_000); // build + pack + npm install on a cold cache
    sim = await Simulator.start({ tasks: 'demo', runSeconds: 3, failEvery: 0, password: PASSWORD, accounts: [TWO_STEP], blockAfter: 0, quiet: true });
    // On DSM's own HTTPS port when it is free, for the README's picture of the dialog.
    const tlsOptions = { https: true, tasks: 'demo' as const, runSeconds: 3, failEvery: 0, password: PASSWORD, blockAfter: 0, quiet: true };
    simTls = await Simulator.start({ ...tlsOptions, port: await h.freePort(5001) }).catch(() => Simulator.start(tlsOptions));
    ed = await startEditor(run, 'abm365-browser-', { credentialSecret: 'browser-tests-only', extra: { debugMaxLength: 100_000 } });
    page = ed.page;
  });

  after(function () {
    if (ed?.errors.length) console.log(`--- browser errors seen ---\n${ed.errors.join('\n')}`);
  });

  tearDownEditor(() => ({ ...run, ed, servers: [sim, simTls] }));

  describe('the Synology NAS config dialog', function () {
    let queryId = '';

    before(async function () {
      await reset([tab]);
    });

    it('is created from a node\'s NAS field; Test connection over http says ok', async function () {
      queryId = await ed.drag('abm365-query', 250, 120);
      await ed.edit(queryId);
      await ed.addConfigNode('nas');
      await page.locator('#node-config-input-name').fill('Simulator');
      await page.locator('#node-config-input-host').fill('127.0.0.1');
      await page.locator('#node-config-input-protocol').selectOption('http');
      await page.locator('#abm365-nas-http-warning').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#node-config-input-tlsMode').isVisible(), false, 'no TLS choice over http');
      await page.locator('#node-config-input-port').fill(String(sim.port));
      await page.locator('#node-config-input-username').fill('admin');
      await page.locator('#node-config-input-password').fill(PASSWORD);
      const logins = sim.callsTo('login').length;
      await page.locator('#abm365-nas-test').click();
      const ok = page.locator('#abm365-nas-test-result.abm365-result-ok');
      await ok.waitFor({ state: 'visible', timeout: 20_000 }).catch(async () => {
        throw new Error(`Test connection did not say ok: "${await page.locator('#abm365-nas-test-result').innerText()}"`);
      });
      const text = await ok.innerText();
      assert.match(text, /\S/, 'the result line says something');
      assert.ok(sim.callsTo('login').length > logins, 'Test connection logged in on the simulator');
      await ed.shotTall('nas-dialog-http');
      assert.equal((await ed.tray().innerText()).match(/\babm365-[a-z]+\.[A-Za-z]+\.[A-Za-z]/g), null, 'every text of the dialog comes from the message catalog');
      const nasId = await ed.configDone('nas');
      assert.notEqual(nasId, '_ADD_');
      const nas = await ed.node(nasId);
      assert.ok(nas);
      assert.equal(nas.type, 'abm365-nas');
      assert.equal(nas.host, '127.0.0.1');
      assert.equal(String(nas.port), String(sim.port));
      assert.equal(nas.protocol, 'http');
      assert.equal(nas.name, 'Simulator');
      assert.notEqual(nas.valid, false, 'the config node is valid');

      // The task picker works with the config node not yet deployed (the dialog's values).
      await page.locator('#node-input-operation').selectOption('task');
      const names = await ed.pickTask(TASK);
      assert.deepEqual([...names].sort(), sim.abm.tasks.map((t) => t.task_name).sort());
      assert.deepEqual(await ed.typedValue('task'), { type: 'str', value: TASK });
      await ed.done();
      const q = await ed.node(queryId);
      assert.ok(q);
      assert.equal(q.nas, nasId);
      assert.equal(q.operation, 'task');
      assert.equal(q.task, TASK);
      assert.equal(q.taskType, 'str');
      assert.notEqual(q.valid, false);
    });

    it('https with a pinned fingerprint: a wrong pin is refused, the right one (openssl\'s format) is ok', async function () {
      assert.ok(queryId, 'the previous test made a query node');
      assert.ok(simTls.fingerprint256);
      await ed.edit(queryId);
      await ed.addConfigNode('nas');
      await page.locator('#node-config-input-name').fill('Simulator HTTPS');
      await page.locator('#node-config-input-host').fill('127.0.0.1');
      assert.equal(await page.locator('#node-config-input-protocol').inputValue(), 'https', 'https is the default');
      await page.locator('#node-config-input-port').fill(String(simTls.port));
      await page.locator('#node-config-input-tlsMode').selectOption('fingerprint');
      await page.locator('#node-config-input-fingerprint').waitFor({ state: 'visible' });
      await page.locator('#node-config-input-username').fill('admin');
      await page.locator('#node-config-input-password').fill(PASSWORD);

      await page.locator('#node-config-input-fingerprint').fill('00'.repeat(32));
      await page.locator('#abm365-nas-test').click();
      const bad = page.locator('#abm365-nas-test-result.abm365-result-error');
      await bad.waitFor({ state: 'visible', timeout: 20_000 });
      assert.match(await bad.innerText(), /fingerprint/i, 'the error names the fingerprint');

      await page.locator('#node-config-input-fingerprint').fill(`sha256 Fingerprint=${simTls.fingerprint256}`);
      await page.locator('#node-config-input-fingerprint').press('Tab');
      assert.equal(await page.locator('#node-config-input-fingerprint.input-error').count(), 0, 'openssl\'s line is a valid fingerprint');
      await page.locator('#abm365-nas-test').click();
      await page.locator('#abm365-nas-test-result.abm365-result-ok').waitFor({ state: 'visible', timeout: 20_000 }).catch(async () => {
        throw new Error(`Test connection did not say ok: "${await page.locator('#abm365-nas-test-result').innerText()}"`);
      });
      await ed.shotTall('nas-dialog-https-fingerprint', 'nas-dialog.png');
      const nasId = await ed.configDone('nas');
      await ed.done();
      const nas = await ed.node(nasId);
      assert.ok(nas);
      assert.equal(nas.protocol, 'https');
      assert.equal(nas.tlsMode, 'fingerprint');
      assert.equal(String(nas.port), String(simTls.port));
      assert.notEqual(nas.valid, false);
      assert.equal((await ed.node(queryId))?.nas, nasId);
    });

    it('a refused password is reported by Test connection', async function () {
      assert.ok(queryId);
      await ed.edit(queryId);
      await ed.addConfigNode('nas');
      await page.locator('#node-config-input-host').fill('127.0.0.1');
      await page.locator('#node-config-input-protocol').selectOption('http');
      await page.locator('#node-config-input-port').fill(String(sim.port));
      await page.locator('#node-config-input-username').fill('admin');
      await page.locator('#node-config-input-password').fill('not the password');
      await page.locator('#abm365-nas-test').click();
      const bad = page.locator('#abm365-nas-test-result.abm365-result-error');
      await bad.waitFor({ state: 'visible', timeout: 20_000 });
      assert.match(await bad.innerText(), /password|400|refused|account/i);
      await page.locator('#node-config-dialog-cancel').click();
      await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
      await page.locator('#node-dialog-cancel').click();
      await page.locator('#node-dialog-ok').waitFor({ state: 'detached' });
    });
  });

  describe('a deployed NAS, edited again', function () {
    before(async function () {
      await reset([tab, nasBase()]);
    });

    it('the task picker without a NAS says so; Test connection uses the stored password', async function () {
      const id = await ed.drag('abm365-query', 250, 120);
      await ed.edit(id);
      await sel('operation', 'task');
      assert.equal(await page.locator('#node-input-nas').inputValue(), '_ADD_', 'no NAS chosen yet');
      await page.locator('#abm365-task-pick').click();
      await page.locator('#abm365-task-pick-status.abm365-result-error').waitFor({ state: 'visible', timeout: 5000 });
      assert.equal(await page.locator('#abm365-task-list').isVisible(), false);

      await sel('nas', nasBase().id);
      await page.locator('#node-input-btn-nas-edit').click();
      await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible', timeout: 10_000 });
      await ed.waitTrayStill();
      assert.equal(await page.locator('#node-config-input-host').inputValue(), '127.0.0.1');
      assert.equal(await page.locator('#node-config-input-username').inputValue(), 'admin');
      assert.equal(await page.locator('#node-config-input-password').inputValue(), '__PWRD__', 'the password is not sent to the editor');
      await page.locator('#abm365-nas-test').click();
      await page.locator('#abm365-nas-test-result.abm365-result-ok').waitFor({ state: 'visible', timeout: 20_000 }).catch(async () => {
        throw new Error(`Test connection with the stored password did not say ok: "${await page.locator('#abm365-nas-test-result').innerText()}"`);
      });
      await page.locator('#node-config-dialog-cancel').click();
      await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
      // The picker of a deployed, unchanged NAS (GET /abm365-nas/:id/tasks).
      const names = await ed.pickTask(TASK);
      assert.deepEqual([...names].sort(), sim.abm.tasks.map((t) => t.task_name).sort());
      await ed.done();
      assert.equal((await ed.node(id))?.task, TASK);
    });
  });

  // Each flow node: dragged from the palette, its dialog filled, the task picked with the
  // picker, Done, and the stored settings read back from the editor's model.
  interface NodeCase {
    type: string;
    picker: boolean;
    fill(): Promise<void>;
    expect: Record<string, unknown>;
  }
  const sel = (prop: string, value: string) => page.locator(`#node-input-${prop}`).selectOption(value);
  const fill = (prop: string, value: string) => page.locator(`#node-input-${prop}`).fill(value);
  const check = (prop: string, on = true) => page.locator(`#node-input-${prop}`).setChecked(on);
  const cases: NodeCase[] = [
    {
      type: 'abm365-query',
      picker: true,
      async fill() {
        await sel('operation', 'task-log');
        await fill('keyword', 'error');
        await fill('offset', '0');
        await fill('limit', '50');
        await check('allPages');
        await fill('name', 'Task log');
      },
      expect: { operation: 'task-log', keyword: 'error', limit: '50', allPages: true, name: 'Task log' },
    },
    {
      type: 'abm365-backup',
      picker: true,
      async fill() {
        await sel('action', 'run');
        await check('waitForCompletion');
        await fill('waitTimeout', '600');
        await fill('name', 'Run backup');
      },
      expect: { action: 'run', waitForCompletion: true, waitTimeout: '600', outputs: 2, name: 'Run backup' },
    },
    {
      type: 'abm365-schedule',
      picker: true,
      async fill() {
        await sel('policy', 'scheduled');
        await fill('startHour', '2');
        await fill('startMinute', '30');
        await fill('repeatHours', '0');
        await fill('lastRunHour', '23');
        for (const d of [0, 6]) await page.locator(`#abm365-schedule-day-${d}`).setChecked(false);
        for (const d of [1, 2, 3, 4, 5]) await page.locator(`#abm365-schedule-day-${d}`).setChecked(true);
        await fill('name', 'Weeknights 02:30');
      },
      expect: { policy: 'scheduled', startHour: '2', startMinute: '30', lastRunHour: '23', repeatHours: '0', days: [1, 2, 3, 4, 5] },
    },
    {
      type: 'abm365-retention',
      picker: true,
      async fill() {
        await sel('mode', 'days');
        await fill('days', '90');
      },
      expect: { mode: 'days', days: '90' },
    },
    {
      type: 'abm365-workers',
      picker: false,
      async fill() {
        await fill('backupJobWorkers', '20');
        await fill('eventWorkers', '10');
      },
      expect: { backupJobWorkers: '20', eventWorkers: '10' },
    },
    {
      type: 'abm365-task',
      picker: true,
      async fill() {
        // The relink fields first (relink names a new task: no task to pick), then delete.
        await sel('action', 'relink');
        await fill('relinkTaskName', 'Contoso mail (relinked)');
        await fill('localShared', 'ActiveBackupforBusiness');
        await fill('localPath', '/ActiveBackupforBusiness/Contoso');
        await fill('adminEmail', 'admin@contoso.onmicrosoft.com');
        await fill('region', 'Microsoft 365');
        await sel('action', 'delete');
        assert.equal(await page.locator('#node-input-removeData').isChecked(), false, 'backed-up data is kept by default');
      },
      expect: { action: 'delete', removeData: false, relinkTaskName: 'Contoso mail (relinked)', localShared: 'ActiveBackupforBusiness', adminEmail: 'admin@contoso.onmicrosoft.com' },
    },
    {
      type: 'abm365-monitor',
      picker: true,
      async fill() {
        await fill('interval', '30');
        await fill('fastInterval', '5');
        await sel('format', 'ha-sensor');
        await fill('staleHours', '36');
        assert.equal(await page.locator('#node-input-logLevel').isVisible(), false, 'no log level for sensors');
        await sel('format', 'events');
        await check('failOnWarning');
        await sel('logLevel', 'warning');
        assert.equal(await page.locator('#node-input-staleHours').isVisible(), true, 'stale hours for events too (overdue)');
      },
      expect: { interval: '30', fastInterval: '5', format: 'events', failOnWarning: true, logLevel: 'warning', staleHours: '36' },
    },
  ];

  describe('each flow node\'s dialog', function () {
    before(async function () {
      await reset([tab, nasBase()]);
    });

    cases.forEach((c, i) => {
      it(`${c.type}: dragged from the palette, dialog filled${c.picker ? ', task picked from the NAS\'s list' : ''}, stored on Done`, async function () {
        const id = await ed.drag(c.type, 200 + (i % 2) * 300, 60 + i * 70);
        await ed.edit(id);
        await sel('nas', nasBase().id);
        await c.fill();
        if (c.picker) {
          const names = await ed.pickTask(TASK);
          assert.deepEqual([...names].sort(), sim.abm.tasks.map((t) => t.task_name).sort(), 'the picker lists the NAS\'s tasks');
          assert.deepEqual(await ed.typedValue('task'), { type: 'str', value: TASK });
        }
        assert.equal(await ed.tray().locator('.input-error:visible').count(), 0, 'no field is marked invalid');
        const untranslated = (await ed.tray().innerText()).match(/\babm365-[a-z]+\.[A-Za-z]+\.[A-Za-z]/g);
        assert.equal(untranslated, null, 'every text of the dialog comes from the message catalog');
        const help = await page.evaluate((t) => (globalThis as unknown as { RED: { nodes: { getNodeHelp(type: string): string } } }).RED.nodes.getNodeHelp(t) ?? '', c.type);
        assert.ok(help.length > 300, `${c.type} has help text in the sidebar`);
        await ed.shotTray(`${c.type}-dialog`, `${c.type}-dialog.png`);
        await ed.done();
        const n = await ed.node(id);
        assert.ok(n);
        assert.equal(n.nas, nasBase().id);
        assert.notEqual(n.valid, false, `${c.type} is valid`);
        if (c.picker) {
          assert.equal(n.task, TASK);
          assert.equal(n.taskType, 'str');
        }
        const got: Record<string, unknown> = {};
        for (const k of Object.keys(c.expect)) got[k] = typeof c.expect[k] === 'string' ? String(n[k]) : n[k];
        assert.deepEqual(got, c.expect);
      });
    });
  });

  describe('a flow built in the editor, deployed and run', function () {
    let injectTasks = '';
    let injectRun = '';

    before(async function () {
      await reset([tab, nasBase()]);
    });

    it('inject -> query (tasks) -> debug: Deploy, press inject, the tasks show in the Debug sidebar', async function () {
      injectTasks = await ed.drag('inject', 120, 80);
      const query = await ed.drag('abm365-query', 340, 80);
      const debug = await ed.drag('debug', 580, 80);
      await ed.edit(query);
      await sel('nas', nasBase().id);
      await sel('operation', 'tasks');
      await ed.done();
      await ed.wire(injectTasks, query);
      await ed.wire(query, debug);
      assert.equal(await ed.dirty(), true);
      const rev = await ed.deploy();
      await running(rev);
      const calls = sim.callsTo('list_tasks').length;
      const text = await pressAndRead(injectTasks, new RegExp(TASK));
      for (const t of sim.abm.tasks) assert.ok(text.includes(t.task_name), `${t.task_name} in the debug output`);
      // The node's status under it on the workspace: ok, with a short summary.
      const want = new RegExp(`${sim.abm.tasks.length} tasks`);
      const status = await until(async () => {
        const st = await ed.status(query);
        return st && want.test(st.text ?? '') ? st : undefined;
      }, 5000, `a status ${want} under the query node`);
      assert.equal(status.fill, 'green');
      assert.ok(sim.callsTo('list_tasks').length > calls, 'the simulator answered list_tasks');
    });

    it('inject -> backup (run, task picked) -> debug: the run starts (started: true)', async function () {
      injectRun = await ed.drag('inject', 120, 200);
      const backup = await ed.drag('abm365-backup', 340, 200);
      const debug = await ed.drag('debug', 580, 200);
      await ed.edit(backup);
      await sel('nas', nasBase().id);
      await sel('action', 'run');
      await ed.pickTask(TASK); // the deployed config node: GET /abm365-nas/:id/tasks
      await ed.done();
      await ed.wire(injectRun, backup);
      await ed.wire(backup, debug);
      // A monitor too, for the picture of a flow with our nodes.
      const monitor = await ed.drag('abm365-monitor', 340, 320);
      await ed.edit(monitor);
      await sel('nas', nasBase().id);
      await ed.done();
      const debug3 = await ed.drag('debug', 580, 320);
      await ed.wire(monitor, debug3);
      const rev = await ed.deploy();
      await running(rev);
      const runs = sim.callsTo('backup_task').length;
      const text = await pressAndRead(injectRun, /started/);
      assert.match(text, /started\W+true/, `started: true in ${text}`);
      assert.match(text, new RegExp(TASK));
      assert.ok(sim.callsTo('backup_task').length > runs, 'the simulator was asked to run the task');
      await ed.tidyForPicture();
      await ed.shot('flow', undefined, 'flow.png');
    });
  });

  describe('validation in a dialog', function () {
    before(async function () {
      await reset([tab, nasBase()]);
    });

    it('schedule: start hour 25 is marked invalid, and the node shows the invalid triangle after Done', async function () {
      const id = await ed.drag('abm365-schedule', 250, 100);
      await ed.edit(id);
      await sel('nas', nasBase().id);
      await ed.typedInput('task', 'str', TASK);
      await sel('policy', 'scheduled');
      const hour = page.locator('#node-input-startHour');
      await hour.fill('25');
      await hour.press('Tab');
      await page.locator('#node-input-startHour.input-error').waitFor({ state: 'visible', timeout: 5000 });
      await ed.shotTray('abm365-schedule-dialog-invalid');
      await ed.done();
      const n = await ed.node(id);
      assert.ok(n);
      assert.equal(String(n.startHour), '25');
      assert.equal(n.valid, false, 'the node is invalid');
      await until(async () => ed.nodeEl(id).locator('.red-ui-flow-node-error:visible').count(), 5000, 'the invalid triangle on the node');

      // Fixed, it is valid again.
      await ed.edit(id);
      await hour.fill('5');
      await hour.press('Tab');
      assert.equal(await page.locator('#node-input-startHour.input-error').count(), 0);
      await ed.done();
      assert.notEqual((await ed.node(id))?.valid, false);
    });
  });

  describe('pairing an account with 2-step verification', function () {
    before(async function () {
      await reset([tab]);
    });

    it('code -> Pair -> paired; deployed, the node logs in with the device token; GET /flows holds no token', async function () {
      const { nr } = run;
      assert.ok(nr);
      const inject = await ed.drag('inject', 120, 80);
      const query = await ed.drag('abm365-query', 340, 80);
      const debug = await ed.drag('debug', 580, 80);
      await ed.edit(query);
      await ed.addConfigNode('nas');
      await page.locator('#node-config-input-name').fill('2-step account');
      await page.locator('#node-config-input-host').fill('127.0.0.1');
      await page.locator('#node-config-input-protocol').selectOption('http');
      await page.locator('#node-config-input-port').fill(String(sim.port));
      await page.locator('#node-config-input-username').fill(TWO_STEP.username);
      await page.locator('#node-config-input-password').fill(TWO_STEP.password);
      // Without a code, Test connection says that the account needs one.
      await page.locator('#abm365-nas-test').click();
      const needsCode = page.locator('#abm365-nas-test-result.abm365-result-error');
      await needsCode.waitFor({ state: 'visible', timeout: 20_000 });
      assert.match(await needsCode.innerText(), /2-step|two-step|code|403|pair/i);

      await page.locator('#abm365-nas-otp').fill(TWO_STEP.otp);
      await page.locator('#abm365-nas-pair').click();
      const paired = page.locator('#abm365-nas-pair-result.abm365-result-ok');
      await paired.waitFor({ state: 'visible', timeout: 20_000 }).catch(async () => {
        throw new Error(`Pair did not succeed: "${await page.locator('#abm365-nas-pair-result').innerText()}"`);
      });
      assert.match(await paired.innerText(), /pair/i);
      const token = await page.locator('#node-config-input-deviceToken').inputValue();
      assert.ok(token && token !== '__PWRD__', 'the dialog holds the new device token');
      assert.equal(await page.locator('#abm365-nas-token-state').getAttribute('data-state'), 'pending');
      await ed.shotTray('nas-dialog-paired');
      const nasId = await ed.configDone('nas');
      await sel('operation', 'tasks');
      await ed.done();
      await ed.wire(inject, query);
      await ed.wire(query, debug);
      const rev = await ed.deploy();
      await running(rev);

      const logins = sim.callsTo('login').length;
      const text = await pressAndRead(inject, new RegExp(TASK));
      assert.ok(text.includes(TASK));
      const used = sim.callsTo('login').slice(logins);
      assert.ok(used.length > 0 && used.every((r) => !r.params.otp_code), 'the runtime logs in without a code');
      // Over plain HTTP the login is encrypted: the simulator reports what it decrypted.
      assert.ok(used.some((r) => r.loginParams?.device_id === token), 'with the device token');

      const { flows } = await h.getFlows(nr.url);
      const json = JSON.stringify(flows);
      assert.ok(!json.includes(token), 'GET /flows never holds the device token');
      assert.ok(!json.includes(`"${TWO_STEP.password}"`), 'nor the password');
      const nas = flows.find((n) => n.id === nasId);
      assert.ok(nas);
      assert.equal(nas.credentials, undefined);

      // Reopened after a reload, the dialog says a token is stored, without showing it.
      await ed.open();
      await ed.edit(query);
      await page.locator('#node-input-btn-nas-edit').click();
      await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
      await until(async () => (await page.locator('#abm365-nas-token-state').getAttribute('data-state')) === 'stored', 5000, 'the token state "stored"');
      assert.equal(await page.locator('#node-config-input-deviceToken').inputValue(), '__PWRD__');
      // Test connection with the stored password and device token: no code needed any more.
      await page.locator('#abm365-nas-test').click();
      await page.locator('#abm365-nas-test-result.abm365-result-ok').waitFor({ state: 'visible', timeout: 20_000 }).catch(async () => {
        throw new Error(`Test connection of the paired account did not say ok: "${await page.locator('#abm365-nas-test-result').innerText()}"`);
      });
      await page.locator('#node-config-dialog-cancel').click();
      await page.locator('#node-dialog-cancel').click();
    });
  });

  // Last (mocha runs a describe's own tests before its nested ones): checks the whole run.
  describe('the editor page', function () {
    it('threw no script error during all of the above', function () {
      assert.deepEqual(
        ed.errors.filter((e) => e.startsWith('pageerror')),
        [],
      );
    });
  });
});
