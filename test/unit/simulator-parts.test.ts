import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { AbmState, decideOutcome, enabledServices, runCounts, runResultLine } from '../../src/simulator/abm-state';
import { isIdleExpired, recentFailures, shouldBlock, type Session } from '../../src/simulator/auth';
import { derLength, derTime, integer, makeSelfSigned, oid, subjectAltName } from '../../src/simulator/cert';
import { parseArgs } from '../../src/simulator/cli';
import { envelopeJson, fail, ok } from '../../src/simulator/envelope';
import { SERVER_TIME_TTL_SECONDS, ServerTimes, unpadPkcs1v15 } from '../../src/simulator/encryption';
import { FaultControl, faultMatches, parseFaultSpec } from '../../src/simulator/faults';
import { loginFields } from '../../src/simulator';
import { infoQuery, apiTable } from '../../src/simulator/info';
import { decodeForm, mergeParams, parseCookies, parseWebapiPath, rawQueryOf } from '../../src/simulator/request';
import { seedTaskEntry, seedTaskInfo } from '../../src/simulator/seed';
import { appendById, asFlag, asInt, mergeTaskInfo, scheduleProblem, taskInfoProblem } from '../../src/simulator/task-settings';

describe('simulator parts', () => {
  describe('DER and certificate', () => {
    it('encodes lengths, integers, OIDs and times', () => {
      assert.equal(derLength(5).toString('hex'), '05');
      assert.equal(derLength(200).toString('hex'), '81c8');
      assert.equal(derLength(300).toString('hex'), '82012c');
      assert.equal(integer(Buffer.from([0x80])).toString('hex'), '02020080');
      assert.equal(integer(Buffer.from([0, 0, 5])).toString('hex'), '020105');
      assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
      assert.equal(oid('2.5.29.17').toString('hex'), '0603551d11');
      assert.equal(derTime(new Date(Date.UTC(2025, 0, 2, 3, 4, 5))).toString('latin1'), '\x17\x0d250102030405Z');
      assert.equal(derTime(new Date(Date.UTC(2051, 0, 2, 3, 4, 5))).toString('latin1'), '\x18\x0f20510102030405Z');
      assert.equal(subjectAltName(['127.0.0.1'], ['localhost']).toString('hex'), '3011' + '87047f000001' + '82096c6f63616c686f7374');
    });

    it('makes a certificate valid from yesterday for a year', () => {
      const now = new Date();
      const c = makeSelfSigned(now);
      const x = new X509Certificate(c.certPem);
      assert.ok(new Date(x.validFrom).getTime() <= now.getTime() - 86000 * 1000);
      assert.ok(new Date(x.validTo).getTime() >= now.getTime() + 364 * 86400 * 1000);
      assert.equal(x.fingerprint256, c.fingerprint256);
      assert.match(c.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.ok(x.checkIP('127.0.0.1'));
      assert.ok(x.checkHost('localhost'));
    });
  });

  describe('requests', () => {
    it('decodes forms like URLSearchParams and finds the API in the path', () => {
      assert.deepEqual(decodeForm('a=1+2&b=%2B&c=%26%3D%23&d=%C3%A9'), { a: '1 2', b: '+', c: '&=#', d: 'é' });
      assert.equal(rawQueryOf('/x?a=b?c'), 'a=b?c');
      assert.equal(rawQueryOf('/x'), '');
      assert.deepEqual(parseWebapiPath('/webapi/entry.cgi/SYNO.API.Auth.UIConfig'), { cgi: 'entry.cgi', api: 'SYNO.API.Auth.UIConfig' });
      assert.deepEqual(parseWebapiPath('/webapi/auth.cgi'), { cgi: 'auth.cgi' });
      assert.equal(parseWebapiPath('/index.html'), undefined);
      assert.deepEqual(mergeParams({ api: 'A', x: '1' }, { x: '2' }, 'B'), { api: 'A', x: '2' });
      assert.deepEqual(mergeParams({}, {}, 'B'), { api: 'B' });
      assert.deepEqual(parseCookies('id=abc; _SSID=x=y'), { id: 'abc', _SSID: 'x=y' });
    });

    it('answers Info queries and DSM envelopes', () => {
      const table = apiTable(false);
      assert.equal(table['SYNO.ActiveBackupOffice365'], undefined);
      assert.deepEqual(Object.keys(infoQuery(table, 'SYNO.API.Auth, SYNO.X')), ['SYNO.API.Auth']);
      assert.equal(envelopeJson(ok()), '{"success":true}');
      assert.equal(envelopeJson(ok({ a: 1 })), '{"data":{"a":1},"success":true}');
      assert.equal(envelopeJson(fail(119)), '{"error":{"code":119},"success":false}');
      assert.equal(envelopeJson(fail(403, { types: [] })), '{"error":{"code":403,"errors":{"types":[]}},"success":false}');
    });
  });

  describe('auth decisions', () => {
    it('blocks after N failures inside the window', () => {
      const now = 1_000_000;
      const recent = recentFailures([now - 400_000, now - 1000, now - 500], now, 300);
      assert.equal(recent.length, 2);
      assert.equal(shouldBlock(recent, 3), false);
      assert.equal(shouldBlock([...recent, now], 3), true);
      assert.equal(shouldBlock([1, 2, 3, 4], 0), false);
    });

    it('expires idle sessions', () => {
      const s: Session = { sid: 's', account: 'a', admin: true, name: '', ip: '', createdMs: 0, lastSeenMs: 1000 };
      assert.equal(isIdleExpired(s, 1000 + 900_000, 900), false);
      assert.equal(isIdleExpired(s, 1001 + 900_000, 900), true);
    });
  });

  describe('runs', () => {
    it('decides outcomes and result lines', () => {
      assert.equal(decideOutcome(undefined, 0, 5), 'success');
      assert.equal(decideOutcome(undefined, 3, 3), 'error');
      assert.equal(decideOutcome(undefined, 3, 4), 'success');
      assert.equal(decideOutcome('warning', 3, 3), 'warning');
      assert.deepEqual(runResultLine('x', 'canceled'), { description: 'Backup task [x] was canceled.', log_type: 1 });
      const enabled = enabledServices(seedTaskEntry());
      assert.deepEqual(enabled, ['mail', 'archive_mail', 'contact', 'calendar', 'drive', 'site', 'teams']);
      const counts = runCounts(enabled, 'error');
      assert.equal(counts.mail.error, 3);
      assert.equal(counts.drive.error, 0);
      assert.equal(counts.group_mail.processed, 0);
    });

    it('sets last_execution_time (the end) and duration when a run ends, not while it runs', () => {
      let nowMs = 1_800_000_000_300;
      const abm = new AbmState({ runSeconds: 3600, now: () => nowMs });
      try {
        assert.equal(abm.startRun(1), true);
        const ranAt = abm.generalLog[0].timestamp;
        assert.equal(ranAt, 1_800_000_000);
        nowMs += 22_553_400; // the seed's run length, and a bit
        const running = abm.task(1);
        assert.deepEqual([running?.last_execution_time, running?.duration], [1733794235, 22553], 'the previous run, unchanged while running');
        abm.finishRun(1, 'success');
        const t = abm.task(1);
        assert.equal(t?.last_execution_time, 1_800_022_553);
        assert.equal(t?.duration, 22553);
        assert.equal((t?.last_execution_time ?? 0) - (t?.duration ?? 0), ranAt, 'start = last_execution_time - duration');
        assert.equal(abm.generalLog[0].description, 'Backup task [test] completed.');
        assert.equal(abm.generalLog[0].timestamp, 1_800_022_553);
        assert.equal(abm.eventLog[0].last_execution_time, 1_800_022_553);
        // A cancelled run ended too: its times replace the previous ones.
        nowMs += 60_000;
        abm.startRun(1);
        const job = abm.task(1)?.job_id ?? 0;
        nowMs += 7_000;
        assert.equal(abm.cancelRun(1, job), true);
        assert.deepEqual([abm.task(1)?.last_execution_time, abm.task(1)?.duration], [1_800_022_620, 7]);
        // A run within one second lasts 0 s: still start = end - duration.
        abm.startRun(1);
        nowMs += 200;
        abm.finishRun(1);
        assert.deepEqual([abm.task(1)?.last_execution_time, abm.task(1)?.duration], [1_800_022_620, 0]);
      } finally {
        abm.dispose();
      }
    });

    it('gives the demo tasks past runs whose start is last_execution_time - duration', () => {
      const abm = new AbmState({ tasks: 'demo', now: () => 1_800_000_000_000 });
      for (const t of abm.tasks) {
        const ran = abm.generalLog.filter((l) => l.task_id === t.task_id && l.description.startsWith('[admin] ran backup task'))[0];
        assert.equal(t.last_execution_time - t.duration, ran.timestamp, t.task_name);
      }
    });
  });

  describe('task settings', () => {
    it('reads integers and flags leniently', () => {
      assert.equal(asInt('12'), 12);
      assert.equal(asInt(1.5), undefined);
      assert.equal(asInt('x'), undefined);
      assert.equal(asFlag(1), true);
      assert.equal(asFlag('false'), false);
      assert.equal(asFlag('yes'), undefined);
    });

    it('validates schedules and retention', () => {
      assert.equal(scheduleProblem({ hour: 23, minute: 59, week_day: '0,6' }), undefined);
      assert.ok(scheduleProblem({ week_day: '0,,1' }));
      assert.ok(scheduleProblem({ last_work_hour: 24 }));
      assert.ok(scheduleProblem([]));
      const current = seedTaskInfo();
      assert.equal(taskInfoProblem({ rotation_policy: 1 }, current), undefined, 'the stored 30 days apply');
      assert.ok(taskInfoProblem({ rotation_policy: 1, preserve_day_number: -2 }, current));
      assert.ok(taskInfoProblem({ enable_schedule: true, schedule: { week_day: '' } }, current));
      assert.ok(taskInfoProblem({ user_list: {} }, current));
    });

    it('appends list items by id and merges the schedule', () => {
      assert.deepEqual(appendById([{ id: 1 }, { id: 2 }], [{ id: 2 }, { id: 3 }, { id: 3 }, { x: 1 }]), [{ id: 1 }, { id: 2 }, { id: 3 }, { x: 1 }]);
      const merged = mergeTaskInfo(seedTaskInfo(), { task_id: 9, schedule: { hour: 5 }, team_list: [] });
      assert.equal(merged.task_id, 1);
      assert.equal(merged.schedule.hour, 5);
      assert.equal(merged.schedule.week_day, '0,1,2,3,4,5,6');
      assert.equal((merged.team_list as unknown[]).length, 1);
    });
  });

  describe('faults', () => {
    it('parses specs from JSON and matches calls', () => {
      assert.deepEqual(parseFaultSpec({ kind: 'delay', delayMs: 5, times: null }), { kind: 'delay', delayMs: 5, times: Infinity });
      assert.equal(typeof parseFaultSpec({ kind: 'boom' }), 'string');
      assert.equal(typeof parseFaultSpec(null), 'string');
      assert.equal(faultMatches({ kind: 'drop', api: 'A' }, 'A', 'm'), true);
      assert.equal(faultMatches({ kind: 'drop', api: 'A', method: 'x' }, 'A', 'm'), false);
      assert.equal(faultMatches({ kind: 'drop' }, undefined, undefined), true);
    });

    it('keeps the login quirks apart from the faults that answer instead of DSM', () => {
      const faults = new FaultControl(() => undefined);
      assert.deepEqual(parseFaultSpec({ kind: 'session-drops', times: 2 }), { kind: 'session-drops', times: 2 });
      faults.add({ kind: 'session-drops', times: 2 });
      faults.add({ kind: 'empty-device-token' });
      assert.equal(faults.take('SYNO.API.Auth', 'login'), undefined, 'a quirk never answers in place of DSM');
      assert.equal(faults.takeQuirk('empty-device-token'), true);
      assert.equal(faults.takeQuirk('empty-device-token'), false);
      assert.equal(faults.takeQuirk('session-drops'), true);
      assert.equal(faults.takeQuirk('session-drops'), true);
      assert.equal(faults.takeQuirk('session-drops'), false);
      assert.deepEqual(faults.pending(), []);
    });
  });

  describe('encrypted login', () => {
    it('unpads PKCS#1 v1.5 encryption blocks and refuses anything else', () => {
      const block = Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(8, 0xaa), Buffer.from([0]), Buffer.from('secret')]);
      assert.equal(unpadPkcs1v15(block)?.toString(), 'secret');
      assert.equal(unpadPkcs1v15(Buffer.concat([Buffer.from([0, 1]), block.subarray(2)])), undefined, 'a signature block');
      assert.equal(unpadPkcs1v15(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(7, 0xaa), Buffer.from([0]), Buffer.from('secret')])), undefined, 'padding under 8 bytes');
      assert.equal(unpadPkcs1v15(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(20, 0xaa)])), undefined, 'no separator');
      assert.equal(unpadPkcs1v15(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(9, 0xaa), Buffer.from([0])]))?.length, 0);
    });

    it('accepts as cipher token only a server_time it handed out, and only while recent', () => {
      const times = new ServerTimes();
      const t = times.issue(1_800_000_000);
      assert.equal(times.isRecent(String(t), t + 5), true);
      assert.equal(times.isRecent(String(t + 1), t + 5), false, 'never handed out');
      assert.equal(times.isRecent(String(t), t + SERVER_TIME_TTL_SECONDS + 1), false, 'too old');
      assert.equal(times.isRecent(`${t}.0`, t), false);
      assert.equal(times.isRecent(undefined, t), false);
    });

    it('reads an encrypted login as the clear fields with the decrypted ones over them, cipher fields left out', () => {
      const clear = { api: 'SYNO.API.Auth', version: '7', method: 'login', enable_syno_token: 'yes', __cIpHeRtExT: '{}' };
      const inner = { account: 'admin', passwd: 'pw', __cIpHeRtOkEn: '1', method: 'login' };
      assert.deepEqual(loginFields(clear, inner), { api: 'SYNO.API.Auth', version: '7', method: 'login', enable_syno_token: 'yes', account: 'admin', passwd: 'pw' });
    });
  });

  describe('CLI', () => {
    it('parses its arguments', () => {
      assert.deepEqual(parseArgs([]), { options: { port: 5001 } });
      assert.deepEqual(parseArgs(['--port=0', '--https', '--run-seconds', '0.5', '--fail-every', '3', '--tasks', 'demo', '--user', 'u', '--password', 'p', '--host', '0.0.0.0']), {
        options: { port: 0, https: true, runSeconds: 0.5, failEvery: 3, tasks: 'demo', user: 'u', password: 'p', host: '0.0.0.0' },
      });
      assert.ok('error' in parseArgs(['--port', 'x']));
      assert.ok('error' in parseArgs(['--fail-every', '1.5']));
      assert.ok('error' in parseArgs(['--tasks', 'many']));
      assert.ok('error' in parseArgs(['--what']));
      assert.ok('help' in parseArgs(['--help']));
      assert.deepEqual(parseArgs(['--no-encryption']), { options: { port: 5001, encryption: false } });
    });

    it('starts, prints the address and fingerprint but never the password, and stops on SIGTERM', async function () {
      this.timeout(20000);
      const cli = path.join(__dirname, '../../src/simulator/cli.ts');
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', cli, '--port', '0', '--https', '--password', 'SeCrEt-pw'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 15000;
      while (!/SHA-256 fingerprint: /.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      assert.ok(url, out);
      assert.match(out, /SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(!out.includes('SeCrEt-pw'));
      assert.match(out, /stopped/);
    });
  });
});
