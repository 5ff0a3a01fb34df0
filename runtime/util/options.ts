// Reading the options a script passes to http.createServer. Helpers under runtime/util/ import
// nothing from krandog, only Node's built-ins; so the caller passes in how to name a bad value.

/** How an error message names the value a script gave (the callers pass describe-value.ts). */
export type DescribeValue = (value: unknown) => string;

/**
 * `options[name]` as a count (bytes, a limit, milliseconds): `fallback` when it is not given, else a
 * non-negative safe integer; anything else is a TypeError naming the option and the value.
 */
export function readCount<T extends object>(options: T, name: keyof T & string, fallback: number, describe: DescribeValue): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`http.createServer: options.${name} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}
