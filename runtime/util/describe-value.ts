// Naming a value in an error message, readably: `"text"`, `42`, `null`, `an array`, `a plain object
// {status, body}`, `a Map`, `the function handler`. It never throws and runs none of the value's
// code (no getter, no Proxy trap): it describes what a script returned by mistake, which may be hostile.
import { types } from 'node:util';

const MAX_KEYS = 5;
const MAX_STRING = 40;

export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_STRING ? value.slice(0, MAX_STRING) + '…' : value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function': {
      const name = functionName(value);
      return name === undefined ? 'a function' : `the function ${name}`;
    }
    case 'object':
      return value === null ? 'null' : describeObjectSafely(value);
    default:
      return String(value); // number, boolean, undefined
  }
}

function describeObjectSafely(value: object): string {
  try {
    return describeObject(value);
  } catch {
    return 'an object'; // a Proxy somewhere up its prototype chain
  }
}

function describeObject(value: object): string {
  if (types.isProxy(value)) return 'a Proxy';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null || prototype === Object.prototype) return `a plain object ${keysOf(value)}`;
  const name = constructorName(prototype);
  if (name === undefined) return 'an object';
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/** `{a, b}`: the own enumerable keys (read without getters), the first few only. */
function keysOf(value: object): string {
  const keys = Object.keys(value);
  const shown = keys.slice(0, MAX_KEYS).map((key) => (/^[\w$]+$/.test(key) ? key : JSON.stringify(key)));
  if (keys.length > MAX_KEYS) shown.push('…');
  return `{${shown.join(', ')}}`;
}

/** The class name from the prototype's own `constructor` data property (a getter is not called). */
function constructorName(prototype: object): string | undefined {
  const constructor = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value as unknown;
  return typeof constructor === 'function' ? functionName(constructor) : undefined;
}

/** A function's own `name`, if it is a plain identifier (read without calling a getter). */
function functionName(fn: Function): string | undefined {
  if (types.isProxy(fn)) return undefined;
  const name = Object.getOwnPropertyDescriptor(fn, 'name')?.value as unknown;
  return typeof name === 'string' && /^[\w$]+$/.test(name) ? name : undefined;
}
