// The pub/sub declarations (types/http.d.ts), checked the way a user would: tsc on a script.
import { describe, expect, it } from 'vitest';
import { errorLinesOfWrongTs, tsc as tscOn } from '../helpers/typecheck.ts';

const tsc = (project: string) => tscOn(`pubsub/types/${project}`);

describe('pub/sub type declarations', () => {
  it('type-check topics, publish, subscriberCount, pubsub status and the pubsub option', () => {
    expect(tsc('tsconfig.json')).toEqual({ status: 0, output: '' });
  });

  it('reject a number topic, an object message, misused results and a port as the pubsub option', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    expect(errorLinesOfWrongTs(output)).toEqual([8, 9, 10, 12, 16]);
  });
});
