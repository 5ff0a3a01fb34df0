// listen() as Node users expect it: the port is known when listen() returns (unless the host is a
// name to look up), the listening line comes before the script's next statement, and the
// http.Server surface (address(), 'listening', 'close', 'error') is there. Through a real ./krandog.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, runScript, type ScriptRun } from '../../helpers/krandog-server.ts';

const script = fixture('listen-surface.js');
const runs: ScriptRun[] = [];
function run(...args: string[]): ScriptRun {
  const started = runScript(script, args);
  runs.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(runs.splice(0).map((started) => started.stop()));
});

/** A port held by another process's listener on 127.0.0.1, for the in-use cases. */
async function takenPort(): Promise<{ port: number; release(): void }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return { port: (blocker.address() as net.AddressInfo).port, release: () => blocker.close() };
}

describe('listen() returns with the server bound', () => {
  it('serve(): the listening line comes first, and port, listening and address() are set', async () => {
    const server = run('serve');
    const [, port] = await server.waitForOutput(/Server started (\d+) .*\n/);
    expect(server.stdout()).toBe(
      `Server listening on http://localhost:${port}\nServer started ${port} true {"address":"::","family":"IPv6","port":${port}}\n`,
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(`port ${port}`);
  });

  it('listen(0, "127.0.0.1"): an IP address binds inside listen() too', async () => {
    const server = run('ip-literal');
    const [, port] = await server.waitForOutput(/next statement (\d+) .*\n/);
    expect(server.stdout()).toBe(
      `Server listening on http://localhost:${port}\nnext statement ${port} true {"address":"127.0.0.1","family":"IPv4","port":${port}}\n`,
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(`port ${port}`);
  });

  it('a host name is looked up first: await once(server, "listening") gives the port', async () => {
    const server = run('host-name');
    const [, port] = await server.waitForOutput(/after once (\d+) true .*\n/);
    const lines = server.stdout().split('\n');
    expect(lines[0]).toBe('before lookup undefined false null');
    expect(lines[1]).toBe(`Server listening on http://localhost:${port}`);
    expect(lines[2]).toBe('callback true');
    expect(lines[3]).toMatch(new RegExp(`^after once ${port} true \\{"address":"(127\\.0\\.0\\.1|::1)","family":"IPv[46]","port":${port}\\}$`));
  });
});

describe('events', () => {
  it("emits 'listening' (then the listen callback) and, once close() has finished, 'close'", async () => {
    const server = run('events');
    expect(await server.exited).toBe(0);
    const [listeningLine, ...rest] = server.stdout().split('\n');
    expect(listeningLine).toMatch(/^Server listening on http:\/\/localhost:\d+$/);
    expect(rest).toEqual(['listening event true', 'listen callback', 'close event', 'close() settled', '']);
    expect(server.stderr()).toBe('');
  });

  it("hands a listen error to an 'error' listener instead of exiting", async () => {
    const { port, release } = await takenPort();
    try {
      const server = run('error-listener', String(port));
      expect(await server.exited).toBe(0);
      expect(server.stdout()).toBe('error event EADDRINUSE\n');
      expect(server.stderr()).toBe('');
    } finally {
      release();
    }
  });
});

describe('a port in use, without an error listener', () => {
  it.each([
    ['no host', []],
    ['an IP address', ['127.0.0.1']],
    ['a host name', ['localhost']],
  ])('prints one line on stderr and exits with 1 (%s)', async (_, host) => {
    const { port, release } = await takenPort();
    try {
      const server = run('in-use', String(port), ...host);
      expect(await server.exited).toBe(1);
      expect(server.stderr()).toBe(`port ${port} is already in use\n`);
      expect(server.stdout()).toBe('');
    } finally {
      release();
    }
  });
});
