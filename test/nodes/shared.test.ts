import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from 'node-red';
import { DsmError } from '../../src/dsm/errors';
import { asNodeError } from '../../src/nodes/shared/pipeline';
import { remembered, sharedStatusText, Status } from '../../src/nodes/shared/status';
import { selectTask, toTaskRef } from '../../src/nodes/shared/task';
import { CURRENT_VERSION, settingsVersion } from '../../src/nodes/shared/version';
import { catalog, catalogText } from '../support/catalog';
import { codeOf } from '../support/errors';

/** The shared status texts as Node-RED reads them from the en-US catalog. */
const TEXTS = sharedStatusText({ _: catalogText });

function fakeNode(): { node: Pick<Node, 'status'>; shown: NodeStatus[] } {
  const shown: NodeStatus[] = [];
  return { node: { status: (s: string | NodeStatus) => void shown.push(typeof s === 'string' ? { text: s } : s) }, shown };
}

describe('shared: Status', () => {
  it('counts requests in flight and shows ok only when none is left', () => {
    const { node, shown } = fakeNode();
    const s = new Status(node, TEXTS);
    s.requesting();
    s.requesting();
    assert.deepEqual(shown.at(-1), { fill: 'blue', shape: 'dot', text: 'requesting (2)' });
    s.ok('one', new Date(2024, 0, 1, 9, 5));
    assert.deepEqual(shown.at(-1), { fill: 'blue', shape: 'dot', text: 'requesting' });
    s.ok('two', new Date(2024, 0, 1, 9, 5));
    assert.deepEqual(shown.at(-1), { fill: 'green', shape: 'dot', text: 'two · 09:05' });
    s.error({ code: 'ENOTASK' }, false);
    assert.deepEqual(shown.at(-1), { fill: 'red', shape: 'ring', text: 'ENOTASK' });
    s.connection('error', { code: 400 });
    assert.deepEqual(shown.at(-1), { fill: 'red', shape: 'ring', text: 'auth refused (400)' });
  });

  it('does not send a requesting, ok or error status that is showing already', () => {
    const { node, shown } = fakeNode();
    const s = new Status(node, TEXTS);
    const at = new Date(2024, 0, 1, 9, 5);
    s.requesting();
    s.ok('1 task', at);
    s.requesting();
    s.ok('1 task', at);
    assert.equal(shown.length, 4, 'one after another: every change is shown');
    s.ok('1 task', at);
    assert.equal(shown.length, 4, 'the same ok again is not sent');
    s.requesting();
    s.requesting();
    s.ok('x', at);
    assert.deepEqual(shown.slice(4), [
      { fill: 'blue', shape: 'dot', text: 'requesting' },
      { fill: 'blue', shape: 'dot', text: 'requesting (2)' },
      { fill: 'blue', shape: 'dot', text: 'requesting' },
    ]);
    s.connection('connected');
    assert.equal(shown.length, 7, 'connected while requesting: nothing new to show');
    s.show({ fill: 'blue', shape: 'dot', text: 'requesting' }, 1000);
    s.requesting();
    assert.deepEqual(shown.at(-1), { fill: 'blue', shape: 'dot', text: 'requesting (2)' });
    s.ok('x', at);
    s.ok('x', at);
    assert.deepEqual(shown.at(-1), { fill: 'green', shape: 'dot', text: 'x · 09:05' });
    s.error({ code: 'ETIMEDOUT' }, false);
    s.ok('x', at);
    assert.deepEqual(shown.at(-1), { fill: 'green', shape: 'dot', text: 'x · 09:05' }, 'shown again after an error');
    const before = shown.length;
    s.error({ code: 'EINVALID' }, false);
    s.error({ code: 'EINVALID' }, false);
    s.error({ code: 'ENOTASK' }, false);
    assert.deepEqual(shown.slice(before), [
      { fill: 'red', shape: 'ring', text: 'EINVALID' },
      { fill: 'red', shape: 'ring', text: 'ENOTASK' },
    ], 'the same error again is not sent');
    s.dispose();
  });

  it('clears a transient status only if nothing newer replaced it', async () => {
    const { node, shown } = fakeNode();
    const s = new Status(node, TEXTS);
    s.show({ text: 'a' }, 30);
    s.show({ text: 'b' });
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(shown, [{ text: 'a' }, { text: 'b' }]);
    s.show({ text: 'c' }, 10);
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(shown.at(-1), {});
    s.show({ text: 'd' }, 10);
    s.dispose();
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(shown.at(-1), { text: 'd' });
  });

  it('status texts are looked up once per key and arguments, and follow new arguments', () => {
    const asked: string[] = [];
    const t = remembered((key, args) => {
      asked.push(key);
      return catalogText(`@abm365/node-red-synology/abm365-nas:abm365-nas.status.${key}`, args);
    }, 3);
    const s = new Status(fakeNode().node, t);
    for (let i = 0; i < 5; i++) {
      s.requesting();
      s.ok('3 tasks', new Date(2024, 0, 1, 9, 5));
    }
    assert.deepEqual(asked, ['requesting', 'done'], 'five messages, two lookups');
    assert.equal(t('done', { summary: '4 tasks', time: '09:06' }), '4 tasks · 09:06');
    assert.equal(t('requestingCount', { count: 2 }), 'requesting (2)');
    assert.equal(t('requestingCount', { count: 3 }), 'requesting (3)');
    assert.equal(t('requesting'), 'requesting', 'still right once older texts were let go (limit 3)');
    assert.equal(asked.length, 6, 'requesting was let go first (the oldest) and asked again');
  });
});

describe('shared: settings', () => {
  it('a node without a settings version is at the current one', () => {
    assert.equal(settingsVersion({}), CURRENT_VERSION);
    assert.equal(settingsVersion({ version: '1' }), 1);
  });

  it('asNodeError gives foreign errors a code and keeps ours', () => {
    const e = asNodeError(new TypeError('boom'));
    assert.equal((e as Error & { code: string }).code, 'EINTERNAL');
    assert.ok(Object.prototype.propertyIsEnumerable.call(e, 'code'));
    const ours = asNodeError(new DsmError('list_tasks failed', 120, { api: 'SYNO.ActiveBackupOffice365', method: 'list_tasks' }));
    assert.equal((ours as DsmError).code, 120);
    assert.equal(ours.message, 'list_tasks failed');
  });

  it('asNodeError puts the code in cause too (Node-RED 3.x copies only message, stack and cause to Catch)', () => {
    const e = asNodeError(new DsmError('x', 'ENOTASK', { api: 'A', method: 'm' })) as DsmError;
    assert.deepEqual(e.cause, { api: 'A', method: 'm', code: 'ENOTASK' });
    assert.ok(Object.prototype.propertyIsEnumerable.call(e, 'cause'));
    assert.equal(asNodeError(e), e, 'an error already prepared is passed on as it is');
    assert.deepEqual((asNodeError(new TypeError('boom')) as DsmError).cause, { code: 'EINTERNAL' });
  });
});

describe('shared: task selection', () => {
  const RED = {
    util: {
      getMessageProperty: (msg: Record<string, unknown>, prop: string) => msg[prop],
      evaluateNodeProperty: (value: string, type: string, _n: unknown, _m: unknown, cb: (e: Error | null, r: unknown) => void) =>
        cb(null, type === 'env' ? { TASK: '7' }[value] : undefined),
    },
  } as unknown as NodeAPI;
  const node = {} as Node;
  const msg = (m: Record<string, unknown>) => m as NodeMessage;

  it('num, str, msg (default property task), env and all', async () => {
    assert.equal(await selectTask(RED, node, { task: '3', taskType: 'num' }, msg({})), 3);
    assert.equal(await selectTask(RED, node, { task: 'Mail', taskType: 'str' }, msg({})), 'Mail');
    assert.equal(await selectTask(RED, node, { task: '', taskType: 'msg' }, msg({ task: '12' })), 12);
    assert.equal(await selectTask(RED, node, { task: 'which', taskType: 'msg' }, msg({ which: 'Teams' })), 'Teams');
    assert.equal(await selectTask(RED, node, { task: 'TASK', taskType: 'env' }, msg({})), 7);
    assert.equal(await selectTask(RED, node, { taskType: 'all' }, msg({}), { allowAll: true }), 'all');
  });

  it('empty values and "all" where not allowed are EINVALID naming the field', async () => {
    await assert.rejects(selectTask(RED, node, { task: '', taskType: 'str' }, msg({})), /task is empty/);
    await assert.rejects(selectTask(RED, node, { task: 'task', taskType: 'msg' }, msg({})), /msg\.task is empty/);
    await assert.rejects(selectTask(RED, node, { taskType: 'all' }, msg({})), /not possible for this node/);
    assert.equal(codeOf(() => toTaskRef(-1, 'task')), 'EINVALID');
  });

  it('a task id field with -1, 1.5 or a word is EINVALID (never read as a task name)', async () => {
    for (const bad of ['-1', '1.5', 'Mail']) {
      await assert.rejects(selectTask(RED, node, { task: bad, taskType: 'num' }, msg({})), (err: Error & { code?: unknown }) => {
        assert.equal(err.code, 'EINVALID');
        assert.match(err.message, new RegExp(`^task id must be a whole number of 0 or more, got "${bad.replace('.', '\\.')}"$`));
        return true;
      });
    }
  });
});

describe('shared: status texts', () => {
  const SRC = path.join(__dirname, '..', '..', 'src', 'nodes');
  const texts = catalog('en-US');
  const has = (key: string): boolean => catalogText(key) !== key;
  /** The string literals among the first arguments of each `call(` in a source file. */
  function keysUsed(file: string, call: RegExp): string[] {
    const source = fs.readFileSync(file, 'utf8');
    return [...source.matchAll(call)].flatMap((m) => [...m[1].matchAll(/'(\w+)'/g)].map((k) => k[1]));
  }

  it('every status key a node uses is in its en-US catalog', () => {
    const files = fs.readdirSync(SRC).filter((f) => /^abm365-.*\.ts$/.test(f));
    let checked = 0;
    for (const f of files) {
      const type = f.replace(/\.ts$/, '');
      for (const key of keysUsed(path.join(SRC, f), /statusText\(([^{)]*)/g)) {
        assert.ok(has(`${type}.status.${key}`), `${type}.status.${key} in nodes/locales/en-US/${type}.json`);
        checked += 1;
      }
    }
    // The schedule's summary key is the policy it applied.
    for (const policy of ['continuous', 'manual', 'scheduled']) assert.ok(has(`abm365-schedule.status.${policy}`), policy);
    assert.ok(checked >= 10, `found the nodes' status keys (${checked})`);
  });

  it('every shared status key is in the config node\'s en-US catalog', () => {
    const keys = [
      ...keysUsed(path.join(SRC, 'shared', 'status.ts'), /\bt\(([^{)]*)/g),
      ...keysUsed(path.join(SRC, 'shared', 'pipeline.ts'), /sharedStatusText\(RED\)\(([^)]*)/g),
    ];
    assert.ok(keys.includes('requesting') && keys.includes('noNas') && keys.includes('authRefused'), keys.join());
    for (const key of keys) assert.ok(has(`abm365-nas.status.${key}`), `abm365-nas.status.${key}`);
    assert.ok(texts['abm365-nas'], 'the config node has a catalog');
  });
});
