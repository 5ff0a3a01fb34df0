// Which requests a server with WebSocket handlers treats as upgrades, against real peers: an Upgrade
// offer that is not WebSocket (curl --http2's h2c) is answered as plain HTTP/1.1 (RFC 9110 §7.8); an
// upgrade pipelined behind a slow request waits for that response, so no HTTP bytes land inside the
// WebSocket stream; and the subprotocol list skips empty elements (RFC 9110 §5.6.1.2).
import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFrame, OP } from '../../helpers/frames.ts';
import { RawConnection, rawRequest } from '../../http/helpers/raw-http.ts';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import type { HttpRequest } from '../../../runtime/http/request.ts';
import { RawClient, deferred, startServer, stopServers, upgradeRequest, within } from './harness.ts';

afterEach(stopServers);

const handler = {
  async request(req: HttpRequest) {
    if (req.pathname === '/slow') await new Promise((resolve) => setTimeout(resolve, 300));
    return { body: `${req.method} ${req.pathname} upgrade=${req.headers.upgrade ?? ''} body=${req.body}` };
  },
  websocket: { message: (ws: ServerWebSocket, data: string | Buffer) => ws.send(data) },
};

const H2C_OFFER = { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAAQCAAAAAAIAAAAA' };

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
}

describe('an Upgrade offer that is not WebSocket', () => {
  it('curl --http2 (an h2c offer) gets the handler\'s HTTP/1.1 answer', async () => {
    const { port } = await startServer(handler);
    // -i: the response head too; curl's request carried the offer, as the body shows.
    const output = await curl(['--http2', '-i', `http://127.0.0.1:${port}/h2`]);
    expect(output).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(output).toMatch(/\r\n\r\nGET \/h2 upgrade=h2c body=$/);
  });

  it('a raw h2c offer (GET, then POST with a body) is answered normally and the connection stays usable', async () => {
    const { port } = await startServer(handler);
    const connection = await RawConnection.connect(port);
    connection.write(rawRequest('GET', '/first', H2C_OFFER));
    const first = await connection.readResponse();
    expect(first.status).toBe(200);
    expect(first.headers.get('connection')).toEqual(['keep-alive']);
    expect(first.body.toString()).toBe('GET /first upgrade=h2c body=');
    connection.write(rawRequest('POST', '/second', H2C_OFFER, 'abc'));
    expect((await connection.readResponse()).body.toString()).toBe('POST /second upgrade=h2c body=abc');
    connection.write(rawRequest('GET', '/third'));
    expect((await connection.readResponse()).body.toString()).toBe('GET /third upgrade= body=');
    expect(connection.ended).toBe(false);
    connection.close();
  });

  it('a WebSocket handshake on the same connection after an ignored h2c offer still succeeds', async () => {
    const { port } = await startServer(handler);
    const raw = await RawClient.connect(port);
    raw.write(rawRequest('GET', '/first', H2C_OFFER));
    await raw.waitFor((received) => received.includes('body='), 'the first response');
    raw.write(upgradeRequest('/'));
    await raw.waitFor((received) => received.includes('101 Switching Protocols'), 'the 101');
    raw.destroy();
  });
});

describe('an upgrade pipelined behind a slow request', () => {
  it('is answered after the slow response, and the WebSocket stream holds only frames', async () => {
    const { port } = await startServer(handler);
    const raw = await RawClient.connect(port);
    const slowBody = 'GET /slow upgrade= body=';
    const echo = buildFrame({ opcode: OP.text, payload: 'ping' });
    // One write: the slow GET, the upgrade, and a first frame right behind the handshake.
    raw.write(Buffer.concat([Buffer.from(rawRequest('GET', '/slow') + upgradeRequest('/')), buildFrame({ opcode: OP.text, payload: 'ping', mask: true })]));
    const streamOf = (bytes: Buffer): Buffer | undefined => {
      const slowEnd = bytes.indexOf(slowBody);
      if (slowEnd === -1) return undefined;
      const switching = bytes.subarray(slowEnd + slowBody.length);
      const headEnd = switching.indexOf('\r\n\r\n');
      return headEnd === -1 ? undefined : switching.subarray(headEnd + 4);
    };
    const received = await raw.waitFor((bytes) => (streamOf(bytes)?.length ?? 0) >= echo.length, 'the slow response, the 101 and the echo');
    const text = received.toString('latin1');
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    // The 101 starts right where the slow response ends, and after its head come only frames.
    expect(text.slice(text.indexOf(slowBody) + slowBody.length)).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(streamOf(received)!.equals(echo)).toBe(true);
    raw.destroy();
  });

  it('several pipelined requests first, then the upgrade: every response in order, then the 101', async () => {
    const { port } = await startServer(handler);
    const raw = await RawClient.connect(port);
    raw.write(rawRequest('GET', '/slow') + rawRequest('GET', '/fast') + rawRequest('GET', '/slow') + upgradeRequest('/'));
    const received = await raw.waitFor((bytes) => bytes.includes('101 Switching Protocols\r\n') && bytes.toString('latin1').endsWith('\r\n\r\n'), 'the 101');
    const text = received.toString('latin1');
    const order = [...text.matchAll(/HTTP\/1\.1 (\d+)[^]*?\r\n\r\n(GET \/\w+)?/g)].map(([, status, body]) => `${status} ${body ?? ''}`.trim());
    expect(order).toEqual(['200 GET /slow', '200 GET /fast', '200 GET /slow', '101']);
    raw.destroy();
  });

  it('a client that leaves while the slow response is pending leaves nothing behind', async () => {
    const slowAnswered = deferred<void>();
    const { port, server } = await startServer({
      ...handler,
      async request(req: HttpRequest) {
        const response = await handler.request(req);
        if (req.pathname === '/slow') slowAnswered.resolve();
        return response;
      },
    });
    const raw = await RawClient.connect(port);
    raw.write(rawRequest('GET', '/slow') + upgradeRequest('/'));
    raw.destroy();
    // The slow response is written to a dead socket, and the pipelined upgrade behind it is then looked at.
    await within(slowAnswered.promise, 5_000, 'the slow request was never answered');
    await new Promise(setImmediate);
    await within(server.close(), 5_000, 'the server did not close');
  });
});

describe('Sec-WebSocket-Protocol list elements', () => {
  it.each(['a,,b', ',b', 'b,', ' , b ,, '])('%j: the handshake succeeds and b is chosen', async (offer) => {
    const { port } = await startServer(handler, { protocols: ['b'] });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/', { 'Sec-WebSocket-Protocol': offer }));
    const response = await raw.response();
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBe('b');
    raw.destroy();
  });
});
