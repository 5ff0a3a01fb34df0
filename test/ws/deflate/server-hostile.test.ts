// permessage-deflate against a raw-socket client: malformed offers, compression bombs, RSV1 misuse.
import { constants, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFrame, OP, readClose } from '../../helpers/frames.ts';
import type { WebSocketMessageRequest } from '../../../runtime/ws/server/hooks.ts';
import { RawClient, startServer, stopServers, upgradeRequest } from '../server/harness.ts';

afterEach(stopServers);

const MiB = 1024 * 1024;
const echo = (req: WebSocketMessageRequest) => {
  if (req.type === 'websocket') req.ws.send(req.data);
  return undefined;
};

/** A raw client whose handshake offered permessage-deflate and was accepted. */
async function deflateClient(port: number): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  raw.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }));
  const response = await raw.response();
  expect(response.status).toBe(101);
  expect(response.headers['sec-websocket-extensions']).toContain('permessage-deflate');
  return raw;
}

function compressed(payload: Buffer): Buffer {
  return deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
}

describe('permessage-deflate against hostile clients', () => {
  it.each([
    'permessage-deflate; x="unterminated',
    'bad extension name',
    'permessage-deflate;;',
  ])('answers a malformed Sec-WebSocket-Extensions %j with 400', async (header) => {
    const { port } = await startServer(echo);
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': header }));
    expect((await raw.response()).status).toBe(400);
    await raw.closed;
  });

  it('closes a compression bomb with 1009 before it fills memory, and keeps serving others', async () => {
    const { port } = await startServer(echo, { maxPayload: 16 * MiB, perMessageDeflate: true });
    const bomb = compressed(Buffer.alloc(256 * MiB));
    expect(bomb.length).toBeLessThan(512 * 1024);
    const raw = await deflateClient(port);
    const rssBefore = process.memoryUsage().rss;
    raw.write(buildFrame({ opcode: OP.binary, payload: bomb, rsv: 4, mask: true }));
    const [closeFrame] = await raw.waitForFrames(1);
    expect(closeFrame.opcode).toBe(OP.close);
    expect(readClose(closeFrame.payload).code).toBe(1009);
    await raw.ended;
    // The inflater stopped at maxPayload: nowhere near the 256 MiB the bomb expands to.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * MiB);

    const healthy = await deflateClient(port);
    healthy.write(buildFrame({ opcode: OP.text, payload: compressed(Buffer.from('still here')), rsv: 4, mask: true }));
    const [reply] = await healthy.waitForFrames(1);
    expect(reply.payload.toString()).toBe('still here');
    healthy.destroy();
  });

  it('fails RSV1 on a continuation frame with 1002 (RFC 7692 §6.1)', async () => {
    const { port } = await startServer(echo, { perMessageDeflate: true });
    const raw = await deflateClient(port);
    raw.write(buildFrame({ opcode: OP.text, payload: compressed(Buffer.from('ab')), rsv: 4, fin: false, mask: true }));
    raw.write(buildFrame({ opcode: OP.cont, payload: Buffer.alloc(0), rsv: 4, mask: true }));
    const [closeFrame] = await raw.waitForFrames(1);
    expect(readClose(closeFrame.payload).code).toBe(1002);
  });

  it('fails invalid UTF-8 inside a compressed text message with 1007', async () => {
    const { port } = await startServer(echo, { perMessageDeflate: true });
    const raw = await deflateClient(port);
    raw.write(buildFrame({ opcode: OP.text, payload: compressed(Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80])), rsv: 4, mask: true }));
    const [closeFrame] = await raw.waitForFrames(1);
    expect(readClose(closeFrame.payload).code).toBe(1007);
  });

  it('fails RSV1 when no extension was agreed with 1002', async () => {
    const { port } = await startServer(echo);
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
    const response = await raw.response();
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
    raw.write(buildFrame({ opcode: OP.text, payload: compressed(Buffer.from('x')), rsv: 4, mask: true }));
    const [closeFrame] = await raw.waitForFrames(1);
    expect(readClose(closeFrame.payload).code).toBe(1002);
  });
});
