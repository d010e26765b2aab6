'use strict';
// Peak RSS of reading every page of the simulator's big task log, in a fresh process so that
// no earlier case has grown (or pre-grown) the heap. Run with --expose-gc.
//   node --expose-gc biglog-rss.js <simUrl> ours|bare <expectedLines> <limit>
// ours: an abm365-query node (task-log, all pages) in an embedded Node-RED; bare: the bare
// paging loop. RSS is sampled every 5 ms from a worker thread; growth = peak - before, where
// "before" is taken after warm-up (one page) and full GCs. Prints one JSON line.
const { performance } = require('node:perf_hooks');
const { BareClient } = require('./bare');
const { MB, fullGc, rssSampler, sleep } = require('./util');

const [simUrl, mode = 'ours', expectedArg = '100000', limitArg = '200'] = process.argv.slice(2);
const expected = Number(expectedArg);
const limit = Number(limitArg);

async function ours(sampler) {
  const { startRuntime, nasNode, flowNode, junction, catchAll } = require('./runtime');
  const rt = await startRuntime();
  try {
    const common = { operation: 'task-log', task: '1', taskType: 'num', limit };
    await rt.deploy([
      nasNode('nas-rss', simUrl),
      flowNode('abm365-query', 'q-warm', 'nas-rss', { ...common, allPages: false }, [['out-warm']]),
      flowNode('abm365-query', 'q-all', 'nas-rss', { ...common, allPages: true }, [['out-all']]),
      junction('out-warm'),
      junction('out-all'),
      ...catchAll('catch-rss', 'err-rss'),
    ]);
    const warm = rt.sink('out-warm');
    const all = rt.sink('out-all');
    const errors = rt.sink('err-rss');
    errors.onMessage = (m) => process.stderr.write(`biglog-rss: ${m.error && m.error.message}\n`);
    rt.node('q-warm').receive({});
    await warm.waitFor(1, 20000, 'warm-up page');
    return await measure(sampler, async () => {
      rt.node('q-all').receive({});
      const msg = await all.waitFor(1, 120000, 'all pages');
      return msg.payload.logs.length;
    });
  } finally {
    await rt.stop();
  }
}

async function bare(sampler) {
  const client = new BareClient(simUrl);
  try {
    await client.login();
    await client.abm('get_all_log', `&task_id=1&limit=${limit}&offset=0&key_word=`);
    let lines;
    const result = await measure(sampler, async () => {
      lines = await client.allTaskLog(1, limit);
      return lines.length;
    });
    result.kept = lines.length; // keep the lines referenced until after the retained reading
    return result;
  } finally {
    client.close();
  }
}

async function measure(sampler, run) {
  await fullGc();
  const before = process.memoryUsage();
  await sampler.reset();
  const t0 = performance.now();
  const lines = await run();
  const ms = performance.now() - t0;
  const atEnd = process.memoryUsage();
  await sleep(20);
  const peak = Math.max(await sampler.peak(), atEnd.rss);
  // What stays once garbage is gone (the result is still referenced by the sink / caller).
  await fullGc();
  const retained = process.memoryUsage();
  return {
    lines,
    ms,
    rssBeforeMb: before.rss / MB,
    rssPeakMb: peak / MB,
    rssGrowthMb: (peak - before.rss) / MB,
    heapGrowthAtEndMb: (atEnd.heapUsed - before.heapUsed) / MB,
    heapRetainedMb: (retained.heapUsed - before.heapUsed) / MB,
  };
}

(async () => {
  const sampler = await rssSampler(5);
  try {
    const result = mode === 'bare' ? await bare(sampler) : await ours(sampler);
    delete result.kept;
    if (result.lines !== expected) throw new Error(`${mode}: ${result.lines} lines, expected ${expected}`);
    process.stdout.write(`${JSON.stringify({ mode, ...result })}\n`);
  } finally {
    await sampler.stop();
  }
  process.exit(0);
})().catch((e) => {
  process.stderr.write(`biglog-rss: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
