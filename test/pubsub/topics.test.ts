// Topics in one process, against `ws` clients: subscribe/unsubscribe/isSubscribed/subscriptions,
// ws.publish skips the sender, server.publish reaches all, subscriberCount, closed sockets leave.
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { ServerOptions } from '../../runtime/http/options.ts';
import type { ServerWebSocket } from '../../runtime/ws/server/server-socket.ts';
import { clientClosed, deferred, nextMessage, nextMessages, openClient, startServer, stopServers } from '../ws/server/harness.ts';

afterEach(stopServers);

interface Room {
  url: string;
  server: Awaited<ReturnType<typeof startServer>>['server'];
  /** The server-side socket of each client, in the order they opened. */
  sockets: ServerWebSocket[];
  opened(count: number): Promise<void>;
  closed: ServerWebSocket[];
}

/** A server whose sockets do what the test says; messages `sub:<t>`, `unsub:<t>`, `pub:<t>:<text>` act. */
async function startRoom(options: ServerOptions = {}): Promise<Room> {
  const sockets: ServerWebSocket[] = [];
  const closed: ServerWebSocket[] = [];
  let wake: (() => void) | undefined;
  const handler = {
    websocket: {
      open(ws: ServerWebSocket) {
        sockets.push(ws);
        wake?.();
      },
      message(ws: ServerWebSocket, data: string | Buffer) {
        if (typeof data !== 'string') return ws.publish('binary', data);
        const [command, topic, ...rest] = data.split(':');
        if (command === 'sub') ws.subscribe(topic);
        else if (command === 'unsub') ws.unsubscribe(topic);
        else if (command === 'pub') ws.send(`published ${ws.publish(topic, rest.join(':'))}`);
      },
      close(ws: ServerWebSocket) {
        closed.push(ws);
      },
    },
  };
  const { server, url } = await startServer(handler, options);
  const opened = async (count: number): Promise<void> => {
    while (sockets.length < count) await new Promise<void>((resolve) => (wake = resolve));
  };
  return { url, server, sockets, opened, closed };
}

async function clients(room: Room, count: number): Promise<WebSocket[]> {
  const opened: WebSocket[] = [];
  for (let i = 0; i < count; i++) opened.push(await openClient(room.url));
  await room.opened(count);
  return opened;
}

const texts = async (client: WebSocket, count: number): Promise<string[]> =>
  (await nextMessages(client, count)).map((message) => message.data.toString());

describe('topics on one server', () => {
  it('subscribe, isSubscribed, subscriptions, unsubscribe and subscriberCount agree', async () => {
    const room = await startRoom();
    await clients(room, 2);
    const [first, second] = room.sockets;
    expect(first.subscriptions).toEqual([]);
    expect(room.server.subscriberCount('news')).toBe(0);

    first.subscribe('news');
    first.subscribe('sport');
    first.subscribe('news'); // again: no effect
    second.subscribe('news');
    expect(first.subscriptions).toEqual(['news', 'sport']);
    expect([first.isSubscribed('news'), first.isSubscribed('weather'), second.isSubscribed('sport')]).toEqual([true, false, false]);
    expect([room.server.subscriberCount('news'), room.server.subscriberCount('sport')]).toEqual([2, 1]);

    first.unsubscribe('news');
    first.unsubscribe('never'); // not subscribed: no effect
    expect(first.subscriptions).toEqual(['sport']);
    expect(first.isSubscribed('news')).toBe(false);
    expect(room.server.subscriberCount('news')).toBe(1);
    // The list is a copy: changing it changes nothing.
    first.subscriptions.push('hacked');
    expect(first.subscriptions).toEqual(['sport']);
  });

  it('ws.publish reaches every subscriber but the sender; server.publish reaches all of them', async () => {
    const room = await startRoom();
    const [a, b, c, outsider] = await clients(room, 4);
    for (const socket of room.sockets.slice(0, 3)) socket.subscribe('chat');

    a.send('pub:chat:hello: from a');
    expect(await texts(a, 1)).toEqual(['published 13']); // the size in bytes; a itself gets nothing else
    expect(await texts(b, 1)).toEqual(['hello: from a']);
    expect(await texts(c, 1)).toEqual(['hello: from a']);

    expect(room.server.publish('chat', 'from the server ✓')).toBe(Buffer.byteLength('from the server ✓'));
    for (const client of [a, b, c]) expect(await texts(client, 1)).toEqual(['from the server ✓']);

    // Binary stays binary, ArrayBuffer and typed arrays included.
    room.server.publish('chat', new Uint16Array([0x0201, 0x0403]));
    room.server.publish('chat', new Uint8Array([9, 8, 7]).buffer);
    for (const client of [a, b, c]) {
      const [first, second] = await nextMessages(client, 2);
      expect([first.isBinary, [...first.data]]).toEqual([true, [1, 2, 3, 4]]);
      expect([second.isBinary, [...second.data]]).toEqual([true, [9, 8, 7]]);
    }
    // The outsider, subscribed to nothing, got nothing: its next message is the one sent to it.
    room.sockets[3].send('only you');
    expect(await texts(outsider, 1)).toEqual(['only you']);
  });

  it('publish to a topic without subscribers returns 0; so does ws.publish when the sender is the only one', async () => {
    const room = await startRoom();
    const [a] = await clients(room, 1);
    expect(room.server.publish('empty', 'nobody')).toBe(0);
    room.sockets[0].subscribe('solo');
    a.send('pub:solo:anyone?');
    expect(await texts(a, 1)).toEqual(['published 0']);
  });

  it('a closed socket leaves all its topics, before the close hook runs; subscribe after close does nothing', async () => {
    const room = await startRoom();
    const countsInCloseHook = deferred<number[]>();
    const [a, b] = await clients(room, 2);
    const [first, second] = room.sockets;
    first.subscribe('x');
    first.subscribe('y');
    second.subscribe('x');
    first.addEventListener('close', () => countsInCloseHook.resolve([room.server.subscriberCount('x'), room.server.subscriberCount('y')]));

    const closing = clientClosed(a);
    a.close();
    await closing;
    expect(await countsInCloseHook.promise).toEqual([1, 0]);
    expect(first.subscriptions).toEqual([]);
    expect(first.isSubscribed('x')).toBe(false);
    first.subscribe('z');
    expect(first.subscriptions).toEqual([]);
    expect(room.server.subscriberCount('z')).toBe(0);

    expect(room.server.publish('x', 'still here')).toBeGreaterThan(0);
    expect(await texts(b, 1)).toEqual(['still here']);
    expect(room.server.publish('y', 'gone')).toBe(0);
  });

  it('binary messages published by a socket go out as binary to the others', async () => {
    const room = await startRoom();
    const [a, b] = await clients(room, 2);
    for (const socket of room.sockets) socket.subscribe('binary');
    a.send(Buffer.from([0, 255, 128]));
    const message = await nextMessage(b);
    expect([message.isBinary, [...message.data]]).toEqual([true, [0, 255, 128]]);
  });

  it('rejects a topic that is not a string and data that is not a message, with the method in the message', async () => {
    const room = await startRoom();
    await clients(room, 1);
    const [ws] = room.sockets;
    expect(() => ws.subscribe(42 as unknown as string)).toThrow(new TypeError('ws.subscribe(): the topic must be a string, got 42'));
    expect(() => ws.isSubscribed(undefined as unknown as string)).toThrow(/ws\.isSubscribed\(\): the topic must be a string/);
    expect(() => room.server.publish(null as unknown as string, 'x')).toThrow(/server\.publish\(\): the topic must be a string, got null/);
    expect(() => room.server.publish('t', { a: 1 } as unknown as string)).toThrow(
      /server\.publish\(\) takes a string, Buffer, ArrayBuffer or typed array, got a plain object \{a\} \(use JSON\.stringify for objects\)/,
    );
    expect(() => ws.publish('t', 12 as unknown as string)).toThrow(/ws\.publish\(\) takes a string/);
    expect(() => room.server.subscriberCount(1 as unknown as string)).toThrow(/server\.subscriberCount\(\)/);
  });

  it('a server without WebSocket handlers publishes to nobody', async () => {
    const { server } = await startServer({ request: () => ({ body: 'plain' }) });
    expect(server.publish('any', 'thing')).toBe(0);
    expect(server.subscriberCount('any')).toBe(0);
    expect(server.pubsub).toEqual({ backplane: 'none', connected: false, dropped: 0 });
  });
});

describe('topics with permessage-deflate subscribers', () => {
  it('compressed and plain subscribers both get the message intact', async () => {
    const room = await startRoom({ perMessageDeflate: true });
    const plain = await openClient(room.url);
    const deflating = await openClient(room.url, undefined, { perMessageDeflate: true });
    await room.opened(2);
    expect(room.sockets.map((socket) => socket.extensions === '')).toEqual([true, false]);
    for (const socket of room.sockets) socket.subscribe('big');
    const big = 'compress me '.repeat(500);
    room.server.publish('big', big);
    room.server.publish('big', Buffer.from(big));
    for (const client of [plain, deflating]) {
      const [text, binary] = await nextMessages(client, 2);
      expect([text.isBinary, text.data.toString()]).toEqual([false, big]);
      expect([binary.isBinary, binary.data.toString()]).toEqual([true, big]);
    }
  });
});
