// describeValue: how error messages name a value a script gave, readably and without running its code.
import { describe, expect, it } from 'vitest';
import { describeValue } from '../../runtime/util/describe-value.ts';

const trap = (): never => {
  throw new Error('trap ran');
};
const hostile = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap });

describe('describeValue', () => {
  it.each<[string, unknown, string]>([
    ['a string, quoted and cut at 40 characters', 'x'.repeat(50), `"${'x'.repeat(40)}…"`],
    ['a number', 1000, '1000'],
    ['NaN', NaN, 'NaN'],
    ['a bigint', 12n, '12n'],
    ['a boolean', false, 'false'],
    ['a symbol', Symbol('s'), 'Symbol(s)'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a named function', function handler() {}, 'the function handler'],
    ['an anonymous function', (() => () => {})(), 'a function'],
    ['an empty array', [], 'an empty array'],
    ['an array', [1, 2, 3], 'an array of 3'],
    ['a plain object with its keys', { status: 200, body: 'x' }, 'a plain object {status, body}'],
    ['an empty object', {}, 'a plain object {}'],
    ['a prototype-free object', Object.assign(Object.create(null), { a: 1 }), 'a plain object {a}'],
    ['many keys, the first five', { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, 'a plain object {a, b, c, d, e, …}'],
    ['odd keys, quoted', { 'content-type': 'x' }, 'a plain object {"content-type"}'],
    ['a class instance', new Map(), 'a Map'],
    ['a class starting with a vowel', new Error('x'), 'an Error'],
    ['a Response', new Response('x'), 'a Response'],
    ['a Promise', Promise.resolve(), 'a Promise'],
    ['a throwing Proxy, without running a trap', hostile, 'a Proxy'],
    ['an object whose prototype is a throwing Proxy', Object.create(hostile), 'an object'],
  ])('%s', (_name, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('never calls a getter', () => {
    const withGetters = {
      get status() {
        return trap();
      },
    };
    class Tricky {
      static get name(): string {
        return trap();
      }
    }
    expect(describeValue(withGetters)).toBe('a plain object {status}');
    expect(describeValue(new Tricky())).toBe('an object');
    expect(describeValue(Tricky)).toBe('a function');
  });
});
