// The WebSocket server's type declarations, checked the way a user would: tsc on a script.
import { describe, expect, it } from 'vitest';
import { errorLinesOfWrongTs, tsc as tscOn } from '../helpers/typecheck.ts';

const tsc = (project: string) => tscOn(`ws/types/${project}`);

describe('WebSocket server type declarations', () => {
  it('type-check hooks, verdicts, options and the ws object as the README uses them', () => {
    expect(tsc('tsconfig.json')).toEqual({ status: 0, output: '' });
  });

  it('reject an object sent as a message, a string close code and a string timeout', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    expect(errorLinesOfWrongTs(output)).toEqual([7, 8, 12]);
  });
});
