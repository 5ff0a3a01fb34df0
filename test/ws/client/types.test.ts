// The client's type declarations (types/), checked the way a user would: tsc on a script, with and
// without the DOM lib (whose WebSocket, CloseEvent and ErrorEvent must not clash with krandog's).
import { describe, expect, it } from 'vitest';
import { errorLinesOfWrongTs, tsc as tscOn } from '../../helpers/typecheck.ts';

const tsc = (project: string) => tscOn(`ws-client/types/${project}`);

describe('WebSocket client type declarations', () => {
  it.each(['tsconfig.json', 'tsconfig.dom.json'])('type-check the client as scripts use it (%s)', (project) => {
    expect(tsc(project)).toEqual({ status: 0, output: '' });
  });

  it('reject an object sent as a message, a string close code, an unknown binaryType and a string CloseEvent code', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    expect(errorLinesOfWrongTs(output)).toEqual([5, 6, 7, 8]);
  });
});
