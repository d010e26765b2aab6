// Drives the Node-RED editor in headless Chromium (playwright-core with Debian's Chromium; no
// browser is ever downloaded). Everything waits with a bound and says what it waited for.
// Code passed to page.evaluate runs in the page: it reaches the editor through `globalThis`
// cast to the small `EditorGlobals` below (the project's tsconfig has no DOM types).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { connectComms, deployFlows, repoRoot, waitForDeploy, type Comms, type FlowNode, type NodeRedProcess, type SettingsOptions } from '../../scripts/lib/nodered';
import { packedUserDir, startOnFreePort, tearDownNodeRed, type Running } from '../support/real-nodered';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Screenshots of every run (git-ignored). */
export const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'browser');
/** The committed screenshots that the README shows; written only when ABM365_DOCS_IMAGES=1. */
export const DOC_IMAGES = path.join(repoRoot, 'docs', 'images');
export const UPDATE_DOCS = process.env.ABM365_DOCS_IMAGES === '1';

/** What the tests read of an editor node: its settings (the type's defaults) and state. */
export interface NodeProps {
  id: string;
  type: string;
  z?: string;
  valid?: boolean;
  changed?: boolean;
  wires?: string[][];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [prop: string]: any;
}

interface RedNode {
  id: string;
  type: string;
  z?: string;
  x: number;
  y: number;
  valid?: boolean;
  changed?: boolean;
  _def: { defaults: Record<string, unknown>; credentials?: Record<string, unknown> };
  credentials?: Record<string, unknown>;
  [prop: string]: unknown;
}

/** The parts of the editor's globals the tests use. */
export interface EditorGlobals {
  RED: {
    nodes: {
      node(id: string): RedNode | null;
      filterNodes(filter: Record<string, unknown>): RedNode[];
      filterLinks(filter: Record<string, unknown>): { source: RedNode; target: RedNode; sourcePort: number }[];
      dirty(): boolean;
      version(): string;
      eachConfig(cb: (n: RedNode) => boolean | void): void;
    };
    workspaces: { active(): string };
    sidebar: { show(id: string): void };
    view: { redraw(full?: boolean): void };
    editor: { getEditStack(): RedNode[] };
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** What a browser suite runs besides its editor page, filled in part by part as each starts (the teardown stops what did). */
export interface EditorRun {
  nr?: NodeRedProcess;
  comms?: Comms;
  browser?: Browser;
  userDir?: string;
}

/** Node-RED with the packed package in a fresh userDir (named `userDirPrefix`...), and Chromium on its editor. */
export async function startEditor(run: EditorRun, userDirPrefix: string, settings: Omit<SettingsOptions, 'port'>): Promise<Editor> {
  run.userDir = await packedUserDir(userDirPrefix);
  run.nr = await startOnFreePort(run.userDir, settings);
  run.comms = await connectComms(run.nr.url);
  run.browser = await launchBrowser();
  return openEditor(run.browser, run.nr.url);
}

/** A new page of `browser` on the editor at `url`, at the size of the screenshots. */
export async function openEditor(browser: Browser, url: string): Promise<Editor> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return new Editor(page, url);
}

/** The NAS config node the browser tests deploy: the simulator on 127.0.0.1:`port` over http, as admin. */
export function simulatorNas(id: string, name: string, port: number, password: string): FlowNode {
  return {
    id,
    type: 'abm365-nas',
    name,
    host: '127.0.0.1',
    port: String(port),
    protocol: 'http',
    tlsMode: 'verify',
    fingerprint: '',
    timeout: '30',
    maxConcurrent: '4',
    version: '1',
    credentials: { username: 'admin', password },
  };
}

/** Deploys `flows` through the admin API, waits until they run, and (re)loads the editor. */
export async function deployAndOpen(ed: Editor, comms: Comms | undefined, flows: FlowNode[]): Promise<void> {
  assert.ok(comms);
  const { rev } = await deployFlows(ed.url, flows);
  await waitForDeploy(comms, rev);
  await ed.open();
}

/** tearDownNodeRed for a browser suite: a failed test also leaves a screenshot and the page errors; the browser closes first. */
export function tearDownEditor(running: () => Running & { browser?: Browser; ed?: Editor }): void {
  tearDownNodeRed(running, {
    logTail: 3000,
    onFailure: (test) => running().ed?.reportFailure(test.fullTitle()),
    closeClients: () => running().browser?.close().catch(() => undefined),
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retries `fn` until it returns a truthy value or `ms` have passed; throws what it was waiting for. */
export async function until<T>(fn: () => Promise<T> | T, ms: number, what: string, every = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(every);
  }
}

export class Editor {
  /** Page errors (uncaught exceptions) and console errors seen so far. */
  readonly errors: string[] = [];

  constructor(
    readonly page: Page,
    readonly url: string,
  ) {
    page.on('pageerror', (err) => this.errors.push(`pageerror: ${err.message}`));
    // Reloading an editor with undeployed changes asks "leave the page?": yes.
    page.on('dialog', (d) => void d.accept().catch(() => undefined));
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(`console: ${m.text()}`);
    });
  }

  /** After a failed test: a screenshot, the editor loaded afresh, and the last page errors printed. */
  async reportFailure(title: string): Promise<void> {
    await this.shot(`FAILED ${title}`.replace(/[^\w.-]+/g, '_').slice(0, 120)).catch(() => undefined);
    // Start the next test from a clean editor: a dialog left open blocks the palette.
    await this.open().catch(() => undefined);
    if (this.errors.length) console.log(`--- browser errors ---\n${this.errors.slice(-20).join('\n')}`);
  }

  /** Loads (or reloads) the editor and waits until it has the flows and the palette. */
  async open(): Promise<void> {
    await this.page.goto(this.url, { waitUntil: 'load', timeout: 30_000 });
    await this.page.waitForFunction(
      `!!(window.RED && RED.nodes && RED.workspaces && RED.workspaces.active()
        && $('#red-ui-loading-progress').is(':hidden')
        && $('.red-ui-header-toolbar').is(':visible')
        && $('#red-ui-palette-container .red-ui-palette-node[data-palette-type="inject"]').length)`,
      undefined,
      { timeout: 30_000, polling: 100 },
    );
  }

  // ---- reading the editor's model -------------------------------------------------------

  /** A node's settings (every property its type defines), `valid`, `changed`, `z`, `wires`. */
  async node(id: string): Promise<NodeProps | null> {
    return this.page.evaluate((nodeId) => {
      const RED = (globalThis as unknown as EditorGlobals).RED;
      const n = RED.nodes.node(nodeId);
      if (!n) return null;
      const out: NodeProps = { id: n.id, type: n.type, z: n.z, valid: n.valid, changed: n.changed };
      for (const k of Object.keys(n._def.defaults)) out[k] = JSON.parse(JSON.stringify(n[k] ?? null));
      const links = RED.nodes.filterLinks({ source: { id: nodeId } });
      const wires: string[][] = [];
      for (const l of links) (wires[l.sourcePort] = wires[l.sourcePort] || []).push(l.target.id);
      out.wires = wires;
      return out;
    }, id);
  }

  /** Ids of the nodes of a type (on every tab, config nodes included). */
  async idsOf(type: string): Promise<string[]> {
    return this.page.evaluate((t) => {
      const RED = (globalThis as unknown as EditorGlobals).RED;
      const ids = RED.nodes.filterNodes({ type: t }).map((n) => n.id);
      RED.nodes.eachConfig((n) => {
        if (n.type === t && !ids.includes(n.id)) ids.push(n.id);
      });
      return ids;
    }, type);
  }

  /** The status the runtime last published for a node (as the workspace shows it under the node). */
  async status(id: string): Promise<{ text?: string; fill?: string; shape?: string } | null> {
    return this.page.evaluate((nodeId) => {
      const n = (globalThis as unknown as EditorGlobals).RED.nodes.node(nodeId);
      const st = n?.status as { text?: unknown; fill?: string; shape?: string } | undefined;
      return st ? { text: st.text === undefined ? undefined : String(st.text), fill: st.fill, shape: st.shape } : null;
    }, id);
  }

  async dirty(): Promise<boolean> {
    return this.page.evaluate(() => (globalThis as unknown as EditorGlobals).RED.nodes.dirty());
  }

  // ---- palette and workspace ------------------------------------------------------------

  paletteNode(type: string): Locator {
    return this.page.locator(`#red-ui-palette-container .red-ui-palette-node[data-palette-type="${type}"]`);
  }

  /** Filters the palette to `type`, typed key by key, and waits until only that type shows. */
  async filterPalette(type: string): Promise<void> {
    const input = this.page.locator('#red-ui-palette-search input');
    await input.click();
    await input.fill('');
    await input.pressSequentially(type, { delay: 20 });
    await this.page.waitForFunction(
      (t) => {
        const $ = (globalThis as unknown as { $: (s: string) => { each(cb: (i: number, el: unknown) => void): void; filter(s: string): { length: number } } }).$;
        const visible: string[] = [];
        $('#red-ui-palette-container .red-ui-palette-node:visible').each((_i, el) => visible.push(String((el as { getAttribute(a: string): string }).getAttribute('data-palette-type'))));
        return visible.length > 0 && visible.every((v) => v === t);
      },
      type,
      { timeout: 10_000, polling: 100 },
    );
  }

  async clearPaletteFilter(): Promise<void> {
    const input = this.page.locator('#red-ui-palette-search input');
    await input.fill('');
    await input.press('Escape');
  }

  /**
   * Drags `type` from the palette onto the workspace at (x, y) (relative to the visible
   * chart) and returns the new node's id. Checks the drop in the editor's model and retries.
   */
  async drag(type: string, x: number, y: number): Promise<string> {
    const before = new Set(await this.idsOf(type));
    for (let attempt = 1; attempt <= 3; attempt++) {
      await this.filterPalette(type);
      const item = this.paletteNode(type);
      await item.scrollIntoViewIfNeeded({ timeout: 5000 });
      const from = await item.boundingBox();
      const chart = await this.page.locator('#red-ui-workspace-chart').boundingBox();
      if (!from || !chart) throw new Error(`no box for the palette node ${type} or the workspace`);
      const mouse = this.page.mouse;
      await mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await mouse.down();
      await mouse.move(from.x + from.width / 2 + 20, from.y + from.height / 2 + 5, { steps: 4 });
      await mouse.move(chart.x + x, chart.y + y, { steps: 12 });
      await mouse.up();
      try {
        const id = await until(async () => (await this.idsOf(type)).find((i) => !before.has(i)), 3000, `a new ${type} node on the workspace`);
        await this.clearPaletteFilter();
        return id;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
    throw new Error('unreachable');
  }

  /** The node's SVG group on the workspace. */
  nodeEl(id: string): Locator {
    return this.page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
  }

  /** Draws a wire from output `port` of `from` to the input of `to` with the mouse. */
  async wire(from: string, to: string, port = 0): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const out = this.nodeEl(from).locator('.red-ui-flow-port-output .red-ui-flow-port').nth(port);
      const inp = this.nodeEl(to).locator('.red-ui-flow-port-input .red-ui-flow-port').first();
      const a = await out.boundingBox();
      const b = await inp.boundingBox();
      if (!a || !b) throw new Error(`no port boxes to wire ${from} -> ${to}`);
      const mouse = this.page.mouse;
      await mouse.move(a.x + a.width / 2, a.y + a.height / 2);
      await mouse.down();
      await mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 10 });
      await mouse.up();
      const wired = await until(async () => ((await this.node(from))?.wires?.[port] ?? []).includes(to), 2000, `a wire ${from} -> ${to}`).catch(() => false);
      if (wired) return;
    }
    throw new Error(`could not draw the wire ${from} -> ${to}`);
  }

  // ---- edit dialogs ----------------------------------------------------------------------

  /** The topmost edit tray. */
  tray(): Locator {
    return this.page.locator('#red-ui-editor-stack .red-ui-tray').last();
  }

  /** Opens a node's edit dialog by double-clicking it. */
  async edit(id: string): Promise<void> {
    const el = this.nodeEl(id);
    await el.scrollIntoViewIfNeeded({ timeout: 5000 });
    await el.locator('.red-ui-flow-node').first().dblclick();
    await this.page.locator('#node-dialog-ok').waitFor({ state: 'visible', timeout: 10_000 });
    await this.waitTrayStill();
  }

  /** Waits until the topmost tray has finished sliding in. */
  async waitTrayStill(): Promise<void> {
    let last = '';
    await until(
      async () => {
        const box = await this.tray().boundingBox();
        const now = box ? `${Math.round(box.x)},${Math.round(box.width)}` : '';
        const still = now !== '' && now === last;
        last = now;
        return still;
      },
      5000,
      'the edit tray to stop moving',
      120,
    );
  }

  async done(): Promise<void> {
    await this.page.locator('#node-dialog-ok').click();
    await this.page.locator('#node-dialog-ok').waitFor({ state: 'detached', timeout: 10_000 });
  }

  /**
   * Opens the "add new config node" dialog of the `prop` field (`nas`) from an open node
   * dialog: the "+" button of Node-RED 4, the pencil of Node-RED 3.
   */
  async addConfigNode(prop = 'nas'): Promise<void> {
    const add = this.page.locator(`#node-input-btn-${prop}-add`);
    if ((await add.count()) > 0) await add.click();
    else {
      await this.page.locator(`#node-input-${prop}`).selectOption('_ADD_');
      await this.page.locator(`#node-input-lookup-${prop}`).click();
    }
    await this.page.locator('#node-config-dialog-ok').waitFor({ state: 'visible', timeout: 10_000 });
    await this.waitTrayStill();
  }

  /** Closes the config node dialog with Add/Update; resolves with the config node's id. */
  async configDone(prop = 'nas'): Promise<string> {
    await this.page.locator('#node-config-dialog-ok').click();
    await this.page.locator('#node-config-dialog-ok').waitFor({ state: 'detached', timeout: 10_000 });
    await this.waitTrayStill();
    return this.page.locator(`#node-input-${prop}`).inputValue();
  }

  /** Sets a TypedInput's type and value through its menu and its text field. */
  async typedInput(prop: string, type: string, value?: string): Promise<void> {
    const container = this.page.locator(`#node-input-${prop}`).locator('xpath=following-sibling::div[contains(@class,"red-ui-typedInput-container")][1]');
    await container.locator('button.red-ui-typedInput-type-select').click();
    const menu = this.page.locator('.red-ui-typedInput-options:visible');
    await menu.locator(`[value="${type}"]`).click();
    await menu.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    if (value !== undefined) {
      const input = container.locator('input.red-ui-typedInput-input');
      await input.fill(value);
      await input.press('Tab');
    }
  }

  /** Reads a TypedInput as `{ type, value }` from its hidden type field and its input. */
  async typedValue(prop: string): Promise<{ type: string; value: string }> {
    return {
      type: await this.page.locator(`#node-input-${prop}Type`).inputValue(),
      value: await this.page.locator(`#node-input-${prop}`).inputValue(),
    };
  }

  /**
   * Opens the task picker, waits for the list and returns the names it offers; picks the
   * entry whose name is `name` when given.
   */
  async pickTask(name?: string): Promise<string[]> {
    await this.page.locator('#abm365-task-pick').click();
    const list = this.page.locator('#abm365-task-list');
    await until(
      async () => (await list.isVisible()) || (await this.page.locator('#abm365-task-pick-status.abm365-result-error').isVisible()),
      20_000,
      'the task picker to answer',
    );
    if (!(await list.isVisible())) throw new Error(`the task picker failed: ${await this.page.locator('#abm365-task-pick-status').innerText()}`);
    const options = await list.locator('option').allInnerTexts();
    const names = options.slice(1).map((o) => o.replace(/\s+\(id \d+\)\s*$/, '').trim());
    if (name !== undefined) {
      const label = options.find((o) => o.replace(/\s+\(id \d+\)\s*$/, '').trim() === name);
      if (!label) throw new Error(`the picker does not offer ${name}: ${options.join(' | ')}`);
      await list.selectOption({ label });
      await this.page.locator('#abm365-task-pick-status.abm365-result-ok').waitFor({ state: 'visible', timeout: 5000 });
    }
    return names;
  }

  // ---- deploy, run, debug sidebar ---------------------------------------------------------

  /** Clicks Deploy and waits for "Successfully deployed", a clean editor and no shade. Returns the new revision. */
  async deploy(): Promise<string> {
    const note = this.page.locator('.red-ui-notification', { hasText: 'Successfully deployed' });
    await this.page.locator('#red-ui-header-button-deploy').click();
    await note.first().waitFor({ state: 'visible', timeout: 20_000 });
    await until(async () => !(await this.dirty()), 10_000, 'RED.nodes.dirty() to be false after deploy');
    await this.page.locator('#red-ui-header-shade').waitFor({ state: 'hidden', timeout: 10_000 });
    return this.page.evaluate(() => (globalThis as unknown as EditorGlobals).RED.nodes.version());
  }

  /** Clicks an inject node's button on the workspace. */
  async pressInject(id: string): Promise<void> {
    await this.nodeEl(id).locator('.red-ui-flow-node-button-button').click();
  }

  async showDebug(): Promise<void> {
    await this.page.evaluate(() => (globalThis as unknown as EditorGlobals).RED.sidebar.show('debug'));
    await this.page.locator('.red-ui-debug-content').first().waitFor({ state: 'visible', timeout: 5000 });
  }

  debugMessages(): Locator {
    return this.page.locator('.red-ui-debug-content .red-ui-debug-msg');
  }

  async clearDebug(): Promise<void> {
    await this.showDebug();
    await this.page.locator('#red-ui-sidebar-debug-clear').click().catch(() => undefined);
  }

  /** Expands every collapsed part of a debug message (a few rounds, children render lazily). */
  async expandDebug(msg: Locator, rounds = 3): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const closed = msg.locator('.collapsed > .red-ui-debug-msg-expandable');
      const n = Math.min(await closed.count(), 40);
      if (!n) return;
      // Click from the last: expanding one does not shift the earlier ones' indexes.
      for (let i = n - 1; i >= 0; i--) await closed.nth(i).click({ timeout: 2000 }).catch(() => undefined);
    }
  }

  // ---- screenshots ------------------------------------------------------------------------

  /** Deselects everything and waits until the notifications have gone, for a clean picture. */
  async tidyForPicture(): Promise<void> {
    const chart = await this.page.locator('#red-ui-workspace-chart').boundingBox();
    if (chart) await this.page.mouse.click(chart.x + chart.width - 40, chart.y + chart.height - 60);
    await this.page.locator('.red-ui-notification:visible').first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    await until(async () => (await this.page.locator('.red-ui-notification:visible').count()) === 0, 10_000, 'the notifications to close').catch(() => undefined);
  }

  /** A PNG of the topmost edit dialog, cut below its last visible row (see shot()). */
  async shotTray(name: string, docName?: string): Promise<string> {
    const tray = await this.tray().boundingBox();
    if (!tray) throw new Error('no edit dialog to take a picture of');
    const rows = this.tray().locator('.red-ui-tray-body .form-row:visible');
    let bottom = tray.y + tray.height;
    const n = await rows.count();
    if (n) {
      const last = await rows.nth(n - 1).boundingBox();
      if (last) bottom = Math.min(bottom, last.y + last.height + 20);
    }
    return this.shot(name, undefined, docName, { x: tray.x, y: tray.y, width: tray.width, height: Math.max(100, bottom - tray.y) });
  }

  /** Like shotTray(), in a window tall enough to show the whole dialog. */
  async shotTall(name: string, docName?: string, height = 1250): Promise<string> {
    const size = this.page.viewportSize();
    await this.page.setViewportSize({ width: size?.width ?? 1400, height });
    try {
      await this.waitTrayStill();
      await sleep(200);
      return await this.shotTray(name, docName);
    } finally {
      if (size) await this.page.setViewportSize(size);
    }
  }

  /** Saves a PNG of `target` (or the page) under test-artifacts/browser/, and under docs/images/ as `docName` when asked to. */
  async shot(name: string, target?: Locator, docName?: string, clip?: { x: number; y: number; width: number; height: number }): Promise<string> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    const buf = target
      ? await target.screenshot({ timeout: 10_000, animations: 'disabled' })
      : await this.page.screenshot({ timeout: 10_000, animations: 'disabled', clip });
    fs.writeFileSync(file, buf);
    if (docName && UPDATE_DOCS) {
      fs.mkdirSync(DOC_IMAGES, { recursive: true });
      fs.writeFileSync(path.join(DOC_IMAGES, docName), buf);
    }
    return file;
  }
}
