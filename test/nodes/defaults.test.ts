// The editor and the runtime agree: each setting's default in nodes/<type>.html is the one the
// runtime uses when a flow leaves it out, each wholeNumber check of a dialog has the runtime's
// limits, a missing taskType means the same in both, and nodes without an input message do not
// offer msg as the task's source.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEditorFile } from '../../scripts/lib/node-defaults';
import { CONNECTION_LIMITS } from '../../src/dsm/options';
import { DEFAULT_STALE_HOURS } from '../../src/monitor';
import { QUERY, RETENTION, SCHEDULE, TASK_ADMIN, WORKERS } from '../../src/nodes/shared/defaults';
import { DEFAULT_TASK_TYPE } from '../../src/nodes/shared/task';

const NODES_DIR = path.join(__dirname, '..', '..', 'nodes');

interface Limit {
  min?: number;
  max?: number;
}

function editorFile(type: string): string {
  return path.join(NODES_DIR, `${type}.html`);
}

function editorDefaults(type: string): Record<string, unknown> {
  const def = readEditorFile(editorFile(type))[type];
  assert.ok(def, `${type}.html registers ${type}`);
  return def.defaults;
}

/** The limits of every `wholeNumber(this, v, min, max, 'setting')` check of a dialog. */
function editorLimits(type: string): Record<string, { min: number; max: number }> {
  const html = fs.readFileSync(editorFile(type), 'utf8');
  const out: Record<string, { min: number; max: number }> = {};
  for (const m of html.matchAll(/wholeNumber\(this, v, (\d+), (\d+|Infinity), '(\w+)'\)/g)) {
    out[m[3]] = { min: Number(m[1]), max: m[2] === 'Infinity' ? Infinity : Number(m[2]) };
  }
  return out;
}

const FLOW_NODES: Array<[string, { defaults: Record<string, unknown>; limits: Record<string, Limit> }]> = [
  ['abm365-query', QUERY],
  ['abm365-schedule', SCHEDULE],
  ['abm365-retention', RETENTION],
  ['abm365-workers', WORKERS],
  ['abm365-task', TASK_ADMIN],
];

describe('editor and runtime agree', () => {
  for (const [type, runtime] of FLOW_NODES) {
    it(`${type}: every runtime default is the dialog's default`, () => {
      const editor = editorDefaults(type);
      for (const [setting, value] of Object.entries(runtime.defaults)) {
        assert.ok(setting in editor, `${type}.html has a default for ${setting}`);
        // The dialog's values come from another realm (a vm sandbox): compare them as JSON.
        assert.deepEqual(JSON.parse(JSON.stringify(editor[setting])), value, `${type} ${setting}`);
      }
    });

    it(`${type}: the dialog checks each number with the runtime's limits`, () => {
      const editor = editorLimits(type);
      assert.deepEqual(Object.keys(editor).sort(), Object.keys(runtime.limits).sort(), `${type}: the settings checked`);
      for (const [setting, limit] of Object.entries(runtime.limits)) {
        assert.deepEqual(editor[setting], { min: limit.min ?? 0, max: limit.max ?? Infinity }, `${type} ${setting}`);
      }
    });
  }

  it('a missing taskType means the same in the dialog and at runtime', () => {
    for (const [type, runtime] of FLOW_NODES) {
      if (!('taskType' in runtime.defaults)) continue;
      assert.equal(runtime.defaults.taskType, DEFAULT_TASK_TYPE, `${type} at runtime`);
      assert.equal(editorDefaults(type).taskType, DEFAULT_TASK_TYPE, `${type} in the dialog`);
    }
    // Nodes without a message watch all tasks unless told otherwise (they read `taskType ?? 'all'`).
    for (const type of ['abm365-monitor', 'abm365-ha']) assert.equal(editorDefaults(type).taskType, 'all', type);
  });

  it('stale after: 48 hours in the monitor and Home Assistant dialogs and at runtime', () => {
    assert.equal(DEFAULT_STALE_HOURS, 48);
    for (const type of ['abm365-monitor', 'abm365-ha']) assert.equal(Number(editorDefaults(type).staleHours), DEFAULT_STALE_HOURS, type);
  });

  it('the NAS dialog has the runtime defaults and limits of timeout and parallel requests', () => {
    const defaults = editorDefaults('abm365-nas');
    const limits = editorLimits('abm365-nas');
    assert.equal(Number(defaults.timeout), CONNECTION_LIMITS.timeout.default);
    assert.equal(Number(defaults.maxConcurrent), CONNECTION_LIMITS.maxConcurrent.default);
    assert.deepEqual(limits.timeout, { min: CONNECTION_LIMITS.timeout.min, max: CONNECTION_LIMITS.timeout.max }, 'timeout (s)');
    assert.deepEqual(
      limits.maxConcurrent,
      { min: CONNECTION_LIMITS.maxConcurrent.min, max: CONNECTION_LIMITS.maxConcurrent.max },
      'parallel requests',
    );
    assert.deepEqual(limits.port, { min: CONNECTION_LIMITS.port.min, max: CONNECTION_LIMITS.port.max }, 'port');
  });

  it('nodes without an input message offer no msg source for the task', () => {
    for (const type of ['abm365-monitor', 'abm365-ha']) {
      const html = fs.readFileSync(editorFile(type), 'utf8');
      assert.match(html, /setupTaskInput\(node, true, 'all', false\)/, `${type}: the task field without msg`);
      assert.match(html, /validateTask\(this, v, true, false\)/, `${type}: a saved msg source is flagged`);
    }
  });
});
