// krandog's shipped declarations (types/), checked the way a user would: tsc on scripts in fixture
// folders, every fixture project in one `tsc -b` (see test/helpers/typecheck.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { errorLinesOfWrongTs, type TscResult, tscAll } from '../helpers/typecheck.ts';

const projects = [
  'runner/types-project/tsconfig.json',
  'runner/types-project/tsconfig.wrong.json',
  'ws/types/tsconfig.json',
  'ws/types/tsconfig.wrong.json',
  'ws-client/types/tsconfig.json',
  'ws-client/types/tsconfig.dom.json',
  'ws-client/types/tsconfig.wrong.json',
  'pubsub/types/tsconfig.json',
  'pubsub/types/tsconfig.wrong.json',
  'hardening/types/tsconfig.json',
  'hardening/types/tsconfig.wrong.json',
  'http/types/tsconfig.json',
  'http/types/tsconfig.wrong.json',
] as const;

let results: Map<string, TscResult>;
beforeAll(() => {
  results = tscAll(projects);
}, 120_000);

const tsc = (project: (typeof projects)[number]): TscResult => results.get(project)!;
const clean: TscResult = { ok: true, output: '' };

describe('type declarations (README tsconfig)', () => {
  it('type-check a script using the http module (events, address(), once(server, "listening")), a WebSocket server and client, and the test globals', () => {
    expect(tsc('runner/types-project/tsconfig.json')).toEqual(clean);
  });

  it('catch misuse of the handler, serve(), the server\'s events and address(), and test()', () => {
    const { ok, output } = tsc('runner/types-project/tsconfig.wrong.json');
    expect(ok).toBe(false);
    const errors = output.split('\n').filter((line) => line.includes('error TS'));
    const at = (line: number) => errors.filter((error) => error.includes(`wrong.ts(${line},`));
    expect(at(5)[0]).toContain("Type 'string' is not assignable to type 'number'"); // req.method is krandog's string
    expect(at(4)).toHaveLength(1); // status: '200' is not a number
    expect(at(8)[0]).toContain('Expected 2-3 arguments'); // serve(port) without a handler
    expect(at(9)[0]).toContain('Expected 2-3 arguments'); // test(name) without a function
    expect(at(10)[0]).toContain("Type 'string' is not assignable to type 'number'"); // run({ timeout: '5s' })
    expect(at(11)).toHaveLength(1); // a server event that does not exist
    expect(at(12)[0]).toContain("Type 'number' is not assignable to type 'string'"); // address().port is a number
  });
});

describe('WebSocket server type declarations', () => {
  it('type-check hooks, verdicts, options and the ws object as the README uses them', () => {
    expect(tsc('ws/types/tsconfig.json')).toEqual(clean);
  });

  it('reject an object sent as a message, a string close code and a string timeout', () => {
    const { ok, output } = tsc('ws/types/tsconfig.wrong.json');
    expect(ok).toBe(false);
    expect(errorLinesOfWrongTs(output)).toEqual([7, 8, 12]);
  });
});

// With and without the DOM lib, whose WebSocket, CloseEvent and ErrorEvent must not clash with krandog's.
describe('WebSocket client type declarations', () => {
  it.each(['tsconfig.json', 'tsconfig.dom.json'] as const)('type-check the client as scripts use it (%s)', (project) => {
    expect(tsc(`ws-client/types/${project}`)).toEqual(clean);
  });

  it('reject an object sent as a message, a string close code, an unknown binaryType, a string CloseEvent code and a string retries', () => {
    const { ok, output } = tsc('ws-client/types/tsconfig.wrong.json');
    expect(ok).toBe(false);
    expect(errorLinesOfWrongTs(output)).toEqual([5, 6, 7, 8, 9]);
  });
});

describe('pub/sub type declarations', () => {
  it('type-check topics, publish, subscriberCount, pubsub status and the pubsub option', () => {
    expect(tsc('pubsub/types/tsconfig.json')).toEqual(clean);
  });

  it('reject a number topic, an object message, misused results and a port as the pubsub option', () => {
    const { ok, output } = tsc('pubsub/types/tsconfig.wrong.json');
    expect(ok).toBe(false);
    expect(errorLinesOfWrongTs(output)).toEqual([8, 9, 10, 12, 16]);
  });
});

describe('type declarations of the TLS server and the limits', () => {
  it('type-check createServer with tls (both argument orders), the https module and the limit options', () => {
    expect(tsc('hardening/types/tsconfig.json')).toEqual(clean);
  });

  it('reject a string limit, a key of the wrong type, a non-path metrics option and a misused stats figure', () => {
    const { ok, output } = tsc('hardening/types/tsconfig.wrong.json');
    expect(ok).toBe(false);
    expect(errorLinesOfWrongTs(output)).toEqual([5, 6, 8, 9]);
  });
});

describe('type declarations of routes, static folders and http.file()', () => {
  it('type-check a route table (handlers, files, method tables), req.params typed from the path, static and file() results', () => {
    expect(tsc('http/types/tsconfig.json')).toEqual(clean);
  });

  it('reject a string as a route, a non-string static, a number path, and params the route path does not have', () => {
    const { ok, output } = tsc('http/types/tsconfig.wrong.json');
    expect(ok).toBe(false);
    expect(errorLinesOfWrongTs(output)).toEqual([4, 5, 6, 7, 8]);
    expect(output).toContain("Property 'member' does not exist on type 'Readonly<{ team: string; }>'");
  });
});
