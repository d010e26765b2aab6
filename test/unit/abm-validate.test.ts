// The one vocabulary for user input (src/abm/validate.ts): node settings, msg overrides and the
// values abm's builders check, all refused with EINVALID naming the value before any request.
import assert from 'node:assert/strict';
import { describeValue, firstSet, isBlank, readBool, readChoice, readInt, readIntInRange, readNumber } from '../../src/abm';
import { codeOf, invalidWith } from '../support/errors';

describe('abm validate: whole numbers', () => {
  it('readInt accepts numbers and numeric strings', () => {
    assert.equal(readInt(7, 'x'), 7);
    assert.equal(readInt('7', 'x'), 7);
    assert.equal(readInt(' 12 ', 'x'), 12);
    assert.equal(readInt('-3', 'x'), -3);
    assert.equal(readInt('+3', 'x'), 3);
  });

  it('readInt refuses fractions, words, empties, booleans and objects, naming value and input', () => {
    assert.throws(() => readInt(1.5, 'start_hour'), invalidWith(/^start_hour must be a whole number, got 1\.5$/));
    assert.throws(() => readInt('abc', 'limit'), invalidWith(/limit .* got "abc"/));
    assert.throws(() => readInt('', 'limit'), invalidWith(/got ""/));
    assert.throws(() => readInt(undefined, 'limit'), invalidWith(/got nothing/));
    assert.throws(() => readInt(true, 'limit'), invalidWith(/got true/));
    assert.throws(() => readInt([1], 'limit'), invalidWith(/got \[1\]/));
    assert.throws(() => readInt(Number.NaN, 'limit'), invalidWith(/got NaN/));
    assert.throws(() => readInt('1e3', 'limit'), invalidWith(/got "1e3"/));
  });

  it('readIntInRange names the value, the range and what was given', () => {
    assert.equal(readIntInRange('23', 'start_hour', 0, 23), 23);
    assert.throws(
      () => readIntInRange(24, 'start_hour', 0, 23),
      invalidWith(/^start_hour must be a whole number from 0 to 23, got 24$/),
    );
    assert.throws(() => readIntInRange('x', 'start_hour', 0, 23), invalidWith(/from 0 to 23, got "x"/));
    assert.throws(() => readIntInRange(0, 'limit', 1), invalidWith(/^limit must be a whole number of 1 or more, got 0$/));
  });

  it('describeValue renders values for messages', () => {
    assert.equal(describeValue('a'), '"a"');
    assert.equal(describeValue(undefined), 'nothing');
    assert.equal(describeValue(null), 'null');
    assert.equal(describeValue({ a: 1 }), '{"a":1}');
    assert.ok(describeValue('x'.repeat(10)).length < 20);
    assert.ok(describeValue({ s: 'x'.repeat(200) }).length <= 60);
  });
});

describe('abm validate: node settings and msg overrides', () => {
  it('numbers from numbers or numeric strings, with the range in the error', () => {
    assert.equal(readNumber('12', 'x'), 12);
    assert.equal(readNumber('', 'x', { fallback: 3 }), 3);
    assert.equal(codeOf(() => readNumber('1.5', 'hour', { integer: true, min: 0, max: 23 })), 'EINVALID');
    assert.throws(() => readNumber('24', 'hour', { integer: true, min: 0, max: 23 }), /hour "24" is not valid: expected a whole number from 0 to 23/);
    assert.throws(() => readNumber(undefined, 'days'), /days is missing/);
  });

  it('booleans and choices', () => {
    assert.equal(readBool('true'), true);
    assert.equal(readBool(0, true), false);
    assert.equal(readChoice('b', 'op', ['a', 'b'] as const), 'b');
    assert.throws(() => readChoice('z', 'op', ['a', 'b'] as const), /op "z" is not valid: expected one of a, b/);
  });

  it('blank is undefined, null or blanks; firstSet skips blanks', () => {
    for (const v of [undefined, null, '', '  ']) assert.equal(isBlank(v), true, describeValue(v));
    for (const v of [0, false, 'x', []]) assert.equal(isBlank(v), false, describeValue(v));
    assert.equal(firstSet(undefined, ' ', 0, 5), 0);
    assert.equal(firstSet(null, ''), undefined);
  });
});
