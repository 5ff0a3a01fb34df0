// The client against krandog's own WebSocket server (runtime/http/server.ts + runtime/ws/server/attach.ts),
// in process on 127.0.0.1:0; and the two examples chatting through ./krandog.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../../runtime/http/server.ts';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import { closed, messages, openClient, WebSocket } from './helpers.ts';

const servers: Server[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  await Promise.all(servers.splice(0).map((server) => server.close({ force: true })));
});

async function startKrandog(handler: object): Promise<string> {
  const server = createServer(handler as never, { quiet: true });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${server.port}`;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('krandog server ↔ krandog client', () => {
  it('echoes text and binary from 0 B to 16 MiB', async () => {
    const url = await startKrandog({ websocket: { message: (ws: ServerWebSocket, data: string | Buffer) => ws.send(data) } });
    const ws = await openClient(url);
    ws.binaryType = 'arraybuffer';
    ws.send('héllo');
    expect(await messages(ws, 1)).toEqual(['héllo']);
    for (const size of [0, 125, 65536, 1024 * 1024, 16 * 1024 * 1024]) {
      const payload = randomBytes(size);
      ws.send(payload);
      const [data] = await messages(ws, 1);
      expect(sha(new Uint8Array(data as ArrayBuffer)), `${size} bytes`).toBe(sha(payload));
    }
    ws.close();
    expect((await closed(ws)).close.wasClean).toBe(true);
  });

  it('agrees on a subprotocol, passes custom headers, and closes both ways with codes and reasons', async () => {
    const seen: Array<[string, unknown]> = [];
    let serverSawClientClose!: () => void;
    const clientCloseSeen = new Promise<void>((resolve) => (serverSawClientClose = resolve));
    const url = await startKrandog({
      websocket: {
        upgrade: (req: { headers: Record<string, string>; protocols: readonly string[] }) => {
          seen.push(['authorization', req.headers.authorization], ['protocols', req.protocols]);
          return { protocol: 'v2' };
        },
        message: (ws: ServerWebSocket, data: string) => (data === 'close me' ? ws.close(4001, 'as asked') : ws.send(data)),
        close: (_ws: ServerWebSocket, code: number, reason: string) => {
          seen.push(['server close', [code, reason]]);
          if (code === 3003) serverSawClientClose();
        },
      },
    });
    const byServer = new WebSocket(url, { protocols: ['v1', 'v2'], headers: { Authorization: 'Bearer t' } });
    await new Promise((resolve) => (byServer.onopen = resolve));
    expect(byServer.protocol).toBe('v2');
    byServer.send('close me');
    const { close } = await closed(byServer);
    expect([close.code, close.reason, close.wasClean]).toEqual([4001, 'as asked', true]);

    const byClient = await openClient(url, 'v2');
    const clientClosed = closed(byClient);
    byClient.close(3003, 'client leaves');
    expect((await clientClosed).close).toMatchObject({ code: 3003, wasClean: true });
    await clientCloseSeen;
    expect(seen).toContainEqual(['authorization', 'Bearer t']);
    expect(seen).toContainEqual(['protocols', ['v1', 'v2']]);
    expect(seen).toContainEqual(['server close', [3003, 'client leaves']]);
  });

  it('is refused cleanly by an upgrade hook: error, then close 1006', async () => {
    const url = await startKrandog({ websocket: { upgrade: () => 401 } });
    const ws = new WebSocket(url);
    const { error, close } = await closed(ws);
    expect(error!.message).toContain('401');
    expect([close.code, close.wasClean]).toEqual([1006, false]);
  });
});

describe('examples: websocket-client.js chats through websocket-chat-server.js', () => {
  function start(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn('./krandog', args, { env: { ...process.env, ...env } });
    children.push(child);
    let output = '';
    const waiters: Array<[string, () => void]> = [];
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const [text, resolve] of waiters) if (output.includes(text)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    return {
      child,
      output: () => output,
      waitFor: (text: string) => (output.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push([text, resolve]))),
      exited: new Promise<number | null>((resolve) => child.on('close', resolve)),
    };
  }

  it('two clients see each other join, talk and leave', async () => {
    const server = start(['examples/websocket-chat-server.js'], { PORT: '0' });
    await server.waitFor('listening on http://');
    const port = /localhost:(\d+)/.exec(server.output())![1];
    const ada = start(['examples/websocket-client.js', `ws://127.0.0.1:${port}/chat?name=ada`]);
    await ada.waitFor('* ada joined');
    const bob = start(['examples/websocket-client.js', `ws://127.0.0.1:${port}/chat?name=bob`]);
    await ada.waitFor('* bob joined');
    bob.child.stdin!.write('hi ada\n');
    await ada.waitFor('bob: hi ada');
    await bob.waitFor('bob: hi ada');
    bob.child.stdin!.end();
    expect(await bob.exited).toBe(0);
    await ada.waitFor('* bob left');
    ada.child.stdin!.end();
    expect(await ada.exited).toBe(0);
    expect(bob.output()).toContain('closed: 1000');
  });
});
