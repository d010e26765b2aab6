// Next run of a task from its list_tasks schedule (docs/protocol.md §6), in an IANA zone:
// every policy, repeats up to the last run hour, week days, the day wrap, and both daylight
// saving changes of Europe/Berlin (last Sunday of March and of October 2026).
import assert from 'node:assert/strict';
import { checkTimeZone, instantOf, isoInZone, nextRun, offsetMinutes, startHours } from '../../src/monitor/ha';
import type { ScheduleFields } from '../../src/monitor/ha';

const BERLIN = 'Europe/Berlin';

function scheduled(hour: number | string, minute: number | string, extra: Record<string, unknown> = {}): ScheduleFields {
  return {
    backup_policy: 1,
    enable_schedule: true,
    schedule: { hour, minute, repeat_hour: 0, last_work_hour: 0, week_day: '0,1,2,3,4,5,6', ...extra },
  };
}

/** The next run after `now` (ISO with offset), as ISO in the zone, or null. */
function next(task: ScheduleFields, now: string, zone = BERLIN): string | null {
  const at = nextRun(task, Date.parse(now), zone);
  return at === null ? null : isoInZone(at, zone);
}

describe('ha: next run from the schedule', function () {
  const cases: { name: string; task: ScheduleFields; now: string; want: string | null; zone?: string }[] = [
    { name: 'continuous (backup_policy 0) has none', task: { backup_policy: 0, enable_schedule: false, schedule: scheduled(2, 0).schedule }, now: '2026-01-14T10:00:00+01:00', want: null },
    { name: 'continuous even with enable_schedule set', task: { ...scheduled(2, 0), backup_policy: '0' }, now: '2026-01-14T10:00:00+01:00', want: null },
    { name: 'manual (enable_schedule false) has none', task: { ...scheduled(2, 0), enable_schedule: false }, now: '2026-01-14T10:00:00+01:00', want: null },
    { name: 'manual with enable_schedule 0', task: { ...scheduled(2, 0), enable_schedule: 0 }, now: '2026-01-14T10:00:00+01:00', want: null },
    { name: 'no week day ticked has none', task: scheduled(2, 0, { week_day: '' }), now: '2026-01-14T10:00:00+01:00', want: null },
    { name: 'daily, later today', task: scheduled(2, 0), now: '2026-01-14T01:00:00+01:00', want: '2026-01-14T02:00:00+01:00' },
    { name: 'daily, passed today: tomorrow (day wrap)', task: scheduled(2, 0), now: '2026-01-14T11:00:00+01:00', want: '2026-01-15T02:00:00+01:00' },
    { name: 'exactly at the start time: the next one', task: scheduled(2, 0), now: '2026-01-14T02:00:00+01:00', want: '2026-01-15T02:00:00+01:00' },
    { name: 'numeric strings and enable_schedule 1', task: { backup_policy: '1', enable_schedule: 1, schedule: { hour: '23', minute: '45', repeat_hour: '0', last_work_hour: '0', week_day: '0,1,2,3,4,5,6' } }, now: '2026-01-14T23:50:00+01:00', want: '2026-01-15T23:45:00+01:00' },
    { name: 'every 4 hours from 08:00, last run hour 20', task: scheduled(8, 30, { repeat_hour: 4, last_work_hour: 20 }), now: '2026-01-14T13:00:00+01:00', want: '2026-01-14T16:30:00+01:00' },
    { name: 'every 4 hours: the last run of the day at 20:30', task: scheduled(8, 30, { repeat_hour: 4, last_work_hour: 20 }), now: '2026-01-14T17:00:00+01:00', want: '2026-01-14T20:30:00+01:00' },
    { name: 'every 4 hours: after the last one, tomorrow 08:30', task: scheduled(8, 30, { repeat_hour: 4, last_work_hour: 20 }), now: '2026-01-14T20:31:00+01:00', want: '2026-01-15T08:30:00+01:00' },
    { name: 'every 4 hours up to 18: 16:00 is the last, never 20:00', task: scheduled(8, 0, { repeat_hour: 4, last_work_hour: 18 }), now: '2026-01-14T16:30:00+01:00', want: '2026-01-15T08:00:00+01:00' },
    { name: 'repeat with last run hour before the start: once a day', task: scheduled(22, 0, { repeat_hour: 1, last_work_hour: 3 }), now: '2026-01-14T22:30:00+01:00', want: '2026-01-15T22:00:00+01:00' },
    { name: 'week days Mon-Fri, Friday night: Monday', task: scheduled(2, 0, { week_day: '1,2,3,4,5' }), now: '2026-01-16T23:00:00+01:00', want: '2026-01-19T02:00:00+01:00' },
    { name: 'Sunday only (0), on a Wednesday', task: scheduled(3, 15, { week_day: '0' }), now: '2026-01-14T10:00:00+01:00', want: '2026-01-18T03:15:00+01:00' },
    { name: 'Wednesday only, on Wednesday after the time: next week', task: scheduled(3, 15, { week_day: '3' }), now: '2026-01-14T10:00:00+01:00', want: '2026-01-21T03:15:00+01:00' },
    { name: 'week days with spaces and junk ignored', task: scheduled(2, 0, { week_day: ' 4 , x, 9' }), now: '2026-01-14T10:00:00+01:00', want: '2026-01-15T02:00:00+01:00' },
    { name: 'spring forward: 01:00 before the change keeps +01:00', task: scheduled(1, 0), now: '2026-03-28T12:00:00+01:00', want: '2026-03-29T01:00:00+01:00' },
    { name: 'spring forward: the day after is +02:00', task: scheduled(1, 0), now: '2026-03-29T12:00:00+02:00', want: '2026-03-30T01:00:00+02:00' },
    { name: 'spring forward: 02:30 does not exist, runs at 03:30 summer time', task: scheduled(2, 30), now: '2026-03-28T12:00:00+01:00', want: '2026-03-29T03:30:00+02:00' },
    { name: 'spring forward: hourly runs skip the missing hour', task: scheduled(0, 0, { repeat_hour: 1, last_work_hour: 5 }), now: '2026-03-29T01:30:00+01:00', want: '2026-03-29T03:00:00+02:00' },
    { name: 'fall back: 02:30 happens twice, the first one', task: scheduled(2, 30), now: '2026-10-24T12:00:00+02:00', want: '2026-10-25T02:30:00+02:00' },
    { name: 'fall back: after the change, 03:00 is winter time', task: scheduled(0, 0, { repeat_hour: 1, last_work_hour: 5 }), now: '2026-10-25T02:45:00+01:00', want: '2026-10-25T03:00:00+01:00' },
    { name: 'another zone: New York, negative offset', task: scheduled(2, 0), now: '2026-01-14T12:00:00-05:00', want: '2026-01-15T02:00:00-05:00', zone: 'America/New_York' },
    { name: 'UTC', task: scheduled(0, 5), now: '2026-12-31T23:59:00Z', want: '2027-01-01T00:05:00+00:00', zone: 'UTC' },
  ];
  for (const c of cases) {
    it(c.name, function () {
      assert.equal(next(c.task, c.now, c.zone), c.want);
    });
  }

  it('start hours: every N hours up to the last run hour, 0 = once a day', function () {
    assert.deepEqual(startHours({ hour: 8, repeat_hour: 4, last_work_hour: 20 }), [8, 12, 16, 20]);
    assert.deepEqual(startHours({ hour: 8, repeat_hour: 0, last_work_hour: 20 }), [8]);
    assert.deepEqual(startHours({ hour: 0, repeat_hour: 6, last_work_hour: 23 }), [0, 6, 12, 18]);
  });
});

describe('ha: time in a zone with Intl only', function () {
  it('offsets of Berlin across the changes', function () {
    assert.equal(offsetMinutes(Date.parse('2026-03-29T00:59:00Z'), BERLIN), 60);
    assert.equal(offsetMinutes(Date.parse('2026-03-29T01:00:00Z'), BERLIN), 120);
    assert.equal(offsetMinutes(Date.parse('2026-10-25T00:59:00Z'), BERLIN), 120);
    assert.equal(offsetMinutes(Date.parse('2026-10-25T01:00:00Z'), BERLIN), 60);
    assert.equal(offsetMinutes(Date.parse('2026-06-01T00:00:00Z'), 'Asia/Kolkata'), 330);
  });

  it('ISO 8601 with the offset, parsed back to the same instant', function () {
    const ms = Date.parse('2026-06-01T10:20:30Z');
    for (const zone of [BERLIN, 'Asia/Kolkata', 'America/St_Johns', 'UTC', 'Pacific/Auckland']) {
      const iso = isoInZone(ms, zone);
      assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, iso);
      assert.equal(Date.parse(iso), ms, `${zone}: ${iso}`);
    }
    assert.equal(isoInZone(ms, 'America/St_Johns'), '2026-06-01T07:50:30-02:30');
  });

  it('a local time to its instant, both sides of a change', function () {
    assert.equal(new Date(instantOf({ year: 2026, month: 3, day: 29, hour: 1, minute: 59 }, BERLIN)).toISOString(), '2026-03-29T00:59:00.000Z');
    assert.equal(new Date(instantOf({ year: 2026, month: 3, day: 29, hour: 3, minute: 0 }, BERLIN)).toISOString(), '2026-03-29T01:00:00.000Z');
    assert.equal(new Date(instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, BERLIN)).toISOString(), '2026-10-25T00:30:00.000Z');
  });

  it('time zone names: canonical when known, EINVALID otherwise', function () {
    assert.equal(checkTimeZone('Europe/Berlin'), 'Europe/Berlin');
    assert.equal(checkTimeZone('utc'), 'UTC');
    assert.throws(() => checkTimeZone('Mars/Olympus'), (e: Error & { code?: string }) => e.code === 'EINVALID' && /Mars\/Olympus/.test(e.message));
    assert.throws(() => checkTimeZone(''), (e: Error & { code?: string }) => e.code === 'EINVALID');
  });
});
