// permessage-deflate, krandog's browser-style client ↔ the `ws` package's server (Autobahn 12/13 in
// the other direction), and against a raw server for what `ws` will not send (a bomb).
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket as PeerSocket } from 'ws';
import { buildFrame, OP } from '../../../helpers/frames.ts';
import { closed, messages, openClient, startPeer, stopPeers, WebSocket } from '../../../helpers/ws-client.ts';
import { startRawServer, stopRawServers } from '../../../helpers/raw-ws-server.ts';

afterEach(async () => {
  await stopPeers();
  await stopRawServers();
});

const SIZES = [16, 1024, 4096, 65536, 131072];
const repetitive = (size: number) => 'krandog deflate '.repeat(Math.ceil(size / 16)).slice(0, size);

/** A `ws` echo server with permessage-deflate configured by `deflate` (threshold 0: compress all). */
async function deflateEcho(deflate: Record<string, unknown>) {
  const peer = await startPeer({ perMessageDeflate: { threshold: 0, ...deflate }, maxPayload: 64 * 1024 * 1024 });
  peer.server.on('connection', (socket: PeerSocket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return { peer };
}

describe('krandog client ↔ ws server with permessage-deflate', () => {
  const configs: Array<[string, Record<string, unknown>, RegExp]> = [
    ['defaults (the server takes over its context)', {}, /^permessage-deflate$/],
    ['server_no_context_takeover', { serverNoContextTakeover: true }, /server_no_context_takeover/],
    ['client_max_window_bits=9', { clientMaxWindowBits: 9 }, /client_max_window_bits=9/],
    ['server_max_window_bits=10', { serverMaxWindowBits: 10 }, /server_max_window_bits=10/],
    ['client_no_context_takeover', { clientNoContextTakeover: true }, /client_no_context_takeover/],
  ];

  it.each(configs)('13.x %s: agreed, then text and binary of 16 B to 128 KiB echo intact', async (_label, deflate, agreed) => {
    const { peer } = await deflateEcho(deflate);
    const ws = await openClient(peer.url);
    expect(ws.extensions).toMatch(agreed);
    ws.binaryType = 'arraybuffer';
    const sent: Array<string | Buffer> = [];
    for (const size of SIZES) sent.push(repetitive(size), randomBytes(size));
    for (const message of sent) ws.send(message);
    const got = await messages(ws, sent.length);
    got.forEach((data, i) => {
      const expected = sent[i];
      if (typeof expected === 'string') expect(data).toBe(expected);
      else expect(Buffer.from(data as ArrayBuffer).equals(expected)).toBe(true);
    });
    ws.close();
  });

  it('compresses what it sends: the server reads far fewer bytes than the text', async () => {
    const { peer } = await deflateEcho({});
    const ws = await openClient(peer.url);
    const socket = peer.sockets[0];
    const before = (socket as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
    const text = repetitive(256 * 1024);
    ws.send(text);
    expect(await messages(ws, 1)).toEqual([text]);
    const read = (socket as unknown as { _socket: { bytesRead: number } })._socket.bytesRead - before;
    expect(read).toBeLessThan(text.length / 10);
    ws.close();
  });

  it('follows a server that takes over its context across many messages', async () => {
    const { peer } = await deflateEcho({ serverMaxWindowBits: 9 });
    const ws = await openClient(peer.url);
    expect(ws.extensions).toBe('permessage-deflate; server_max_window_bits=9');
    // Repeats of earlier messages compress into back-references to them: the history must be right.
    const sent = Array.from({ length: 200 }, (_, i) => `message ${i % 7}: ${repetitive(100 + (i % 13) * 50)}`);
    for (const text of sent) ws.send(text);
    expect(await messages(ws, sent.length)).toEqual(sent);
    ws.close();
  });

  it('works uncompressed with a server that does not speak permessage-deflate', async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket: PeerSocket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    const ws = await openClient(peer.url);
    expect(ws.extensions).toBe('');
    ws.send(repetitive(5000));
    expect(await messages(ws, 1)).toEqual([repetitive(5000)]);
    ws.close();
  });
});

describe('krandog client against a raw deflating server', () => {
  const agreed = 'permessage-deflate; server_no_context_takeover';
  const compressed = (bytes: Buffer) => deflateRawSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);

  it('inflates a compressed text message (RSV1)', async () => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url);
    const connection = await server.nextConnection();
    connection.accept({ 'Sec-WebSocket-Extensions': agreed });
    connection.write(buildFrame({ opcode: OP.text, payload: compressed(Buffer.from('über compressed')), rsv: 4 }));
    expect(await messages(ws, 1)).toEqual(['über compressed']);
    expect(ws.extensions).toBe(agreed);
    ws.close();
  });

  it('closes a compression bomb with 1009 without inflating it all', async () => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url);
    const connection = await server.nextConnection();
    connection.accept({ 'Sec-WebSocket-Extensions': agreed });
    const done = closed(ws);
    connection.write(buildFrame({ opcode: OP.binary, payload: compressed(Buffer.alloc(64 * 1024 * 1024)), rsv: 4 }));
    const { close } = await done;
    // The client failed the connection: 1009 on the wire, 1006 in the CloseEvent (no Close came back).
    expect(close.code).toBe(1006);
    expect(close.wasClean).toBe(false);
    const [closeFrame] = (await connection.waitForFrames(1)).filter((frame) => frame.opcode === OP.close);
    expect(closeFrame.payload.readUInt16BE(0)).toBe(1009);
  });
});
