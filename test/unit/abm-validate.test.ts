// The one vocabulary for user input (src/abm/validate.ts): node settings, msg overrides and the
// values abm's builders check, all refused with EINVALID before any request, worded
// "<name> must be <what is allowed>, got <the value>".
import assert from 'node:assert/strict';
import { describeValue, firstSet, isBlank, readBool, readChoice, readNumber } from '../../src/abm';
import { codeOf, invalidWith } from '../support/errors';

const WHOLE = { integer: true };

describe('abm validate: numbers', () => {
  it('whole numbers from numbers and numeric strings', () => {
    assert.equal(readNumber(7, 'x', WHOLE), 7);
    assert.equal(readNumber('7', 'x', WHOLE), 7);
    assert.equal(readNumber(' 12 ', 'x', WHOLE), 12);
    assert.equal(readNumber('-3', 'x', WHOLE), -3);
    assert.equal(readNumber('+3', 'x', WHOLE), 3);
  });

  it('a whole number refuses fractions, words, empties, booleans, objects, exponents and hex, naming value and input', () => {
    assert.throws(() => readNumber(1.5, 'start_hour', WHOLE), invalidWith(/^start_hour must be a whole number, got 1\.5$/));
    assert.throws(() => readNumber('abc', 'limit', WHOLE), invalidWith(/limit .* got "abc"/));
    assert.throws(() => readNumber('', 'limit', WHOLE), invalidWith(/got ""/));
    assert.throws(() => readNumber(undefined, 'limit', WHOLE), invalidWith(/got nothing/));
    assert.throws(() => readNumber(true, 'limit', WHOLE), invalidWith(/got true/));
    assert.throws(() => readNumber([1], 'limit', WHOLE), invalidWith(/got \[1\]/));
    assert.throws(() => readNumber(Number.NaN, 'limit', WHOLE), invalidWith(/got NaN/));
    assert.throws(() => readNumber('1e3', 'limit', WHOLE), invalidWith(/got "1e3"/));
    assert.throws(() => readNumber('0x10', 'limit', WHOLE), invalidWith(/got "0x10"/));
  });

  it('the error names the value, the range and what was given', () => {
    assert.equal(readNumber('23', 'start_hour', { ...WHOLE, min: 0, max: 23 }), 23);
    assert.throws(() => readNumber(24, 'start_hour', { ...WHOLE, min: 0, max: 23 }), invalidWith(/^start_hour must be a whole number from 0 to 23, got 24$/));
    assert.throws(() => readNumber('x', 'start_hour', { ...WHOLE, min: 0, max: 23 }), invalidWith(/from 0 to 23, got "x"/));
    assert.throws(() => readNumber(0, 'limit', { ...WHOLE, min: 1 }), invalidWith(/^limit must be a whole number of 1 or more, got 0$/));
    assert.throws(() => readNumber('9', 'n', { max: 5 }), invalidWith(/^n must be a number of 5 or less, got "9"$/));
  });

  it('a blank value is the fallback when there is one, else refused', () => {
    assert.equal(readNumber('', 'x', { fallback: 3 }), 3);
    assert.equal(readNumber(null, 'x', { fallback: 3 }), 3);
    assert.throws(() => readNumber(undefined, 'days', { ...WHOLE, min: 1 }), invalidWith(/^days must be a whole number of 1 or more, got nothing$/));
  });

  it('numbers that need not be whole: decimals and exponents', () => {
    assert.equal(readNumber('1.5', 'x'), 1.5);
    assert.equal(readNumber('1e3', 'x'), 1000);
    assert.equal(codeOf(() => readNumber('1.5', 'hour', { ...WHOLE, min: 0, max: 23 })), 'EINVALID');
    assert.equal(codeOf(() => readNumber(Number.POSITIVE_INFINITY, 'x')), 'EINVALID');
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

describe('abm validate: booleans, choices, blanks', () => {
  it('booleans and choices', () => {
    assert.equal(readBool('true'), true);
    assert.equal(readBool(0, true), false);
    assert.equal(readBool('maybe', true), true);
    assert.equal(readChoice('b', 'op', ['a', 'b'] as const), 'b');
    assert.equal(readChoice('', 'op', ['a', 'b'] as const, 'a'), 'a');
    assert.throws(() => readChoice('z', 'op', ['a', 'b'] as const), invalidWith(/^op must be one of a, b, got "z"$/));
  });

  it('blank is undefined, null or blanks; firstSet skips blanks', () => {
    for (const v of [undefined, null, '', '  ']) assert.equal(isBlank(v), true, describeValue(v));
    for (const v of [0, false, 'x', []]) assert.equal(isBlank(v), false, describeValue(v));
    assert.equal(firstSet(undefined, ' ', 0, 5), 0);
    assert.equal(firstSet(null, ''), undefined);
  });
});
