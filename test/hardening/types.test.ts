// The TLS server and limit options in krandog's type declarations, checked as a user would: tsc on a script.
import { describe, expect, it } from 'vitest';
import { errorLinesOfWrongTs, tsc as tscOn } from '../helpers/typecheck.ts';

const tsc = (project: string) => tscOn(`hardening/types/${project}`);

describe('type declarations of the TLS server and the limits', () => {
  it('type-check createServer with tls (both argument orders), the https module and the limit options', () => {
    expect(tsc('tsconfig.json')).toEqual({ status: 0, output: '' });
  });

  it('reject a string limit and a key of the wrong type', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    expect(errorLinesOfWrongTs(output)).toEqual([5, 6]);
  });
});
