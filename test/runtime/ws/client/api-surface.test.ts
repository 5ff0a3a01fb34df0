// The WebSocket interface as the WHATWG WebSockets standard defines it: constructor steps and their
// exceptions, constants, attributes, send() and close() rules, event handler attributes, and the
// CloseEvent / ErrorEvent classes. Each expectation cites what the standard (or WebIDL) says.
import { Blob } from 'node:buffer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SocketConnection as Connection } from '../../../../runtime/ws/transport/socket-transport.ts';
import { CloseEvent, ErrorEvent } from '../../../../runtime/ws/client/events.ts';
import { closed, messages, next, openClient, record, startPeer, stopPeers, WebSocket } from '../../../helpers/ws-client.ts';
import { startRawServer, stopRawServers } from '../../../helpers/raw-ws-server.ts';

afterEach(async () => {
  await stopPeers();
  await stopRawServers();
});

/** A client pointed at a raw server that never answers: it stays CONNECTING until closed. */
async function connecting(protocols?: ConstructorParameters<typeof WebSocket>[1]) {
  const server = await startRawServer();
  const ws = new WebSocket(server.url, protocols);
  const connection = await server.nextConnection();
  return { ws, server, connection };
}

function expectDOMException(action: () => unknown, name: string, code: number): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DOMException);
  expect((thrown as DOMException).name).toBe(name);
  expect((thrown as DOMException).code).toBe(code);
}

const SYNTAX_ERR = 12;
const INVALID_STATE_ERR = 11;
const INVALID_ACCESS_ERR = 15;

describe('the interface object', () => {
  it('is an EventTarget subclass that needs `new` and one argument', () => {
    expect(Object.getPrototypeOf(WebSocket)).toBe(EventTarget);
    expect(WebSocket.length).toBe(1);
    expect(() => (WebSocket as unknown as () => void)()).toThrow(TypeError);
    expect(() => new (WebSocket as unknown as new () => WebSocket)()).toThrow(TypeError);
  });

  it('has CONNECTING, OPEN, CLOSING, CLOSED on the interface and the prototype, read-only and enumerable', () => {
    const values = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 };
    for (const [name, value] of Object.entries(values)) {
      for (const target of [WebSocket, WebSocket.prototype]) {
        expect(Object.getOwnPropertyDescriptor(target, name)).toEqual({ value, writable: false, enumerable: true, configurable: false });
      }
    }
  });

  it('has its attributes as enumerable accessors; only binaryType and the on… handlers have setters', () => {
    const readOnly = ['url', 'readyState', 'bufferedAmount', 'extensions', 'protocol'];
    const writable = ['binaryType', 'onopen', 'onmessage', 'onerror', 'onclose'];
    for (const name of [...readOnly, ...writable]) {
      const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
      expect(descriptor.enumerable, name).toBe(true);
      expect(typeof descriptor.get, name).toBe('function');
      expect(typeof descriptor.set, name).toBe(writable.includes(name) ? 'function' : 'undefined');
    }
    expect(WebSocket.prototype.send.length).toBe(1);
    expect(WebSocket.prototype.close.length).toBe(0);
    expect(Object.prototype.toString.call(WebSocket.prototype)).toBe('[object WebSocket]');
  });

  it('refuses attribute getters on objects that are not WebSockets', () => {
    const get = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'readyState')!.get!;
    expect(() => get.call({})).toThrow(TypeError);
    expect(() => WebSocket.prototype.send.call({}, 'x')).toThrow(TypeError);
  });
});

describe('constructor', () => {
  it.each([
    ['not a URL', 'not a url'],
    ['a relative URL (scripts have no base URL)', '/chat'],
    ['an empty string', ''],
    ['ws: without a host', 'ws://'],
    ['an unclosed IPv6 literal', 'ws://[::1'],
    ['ftp:', 'ftp://example.com/'],
    ['file:', 'file:///tmp/x'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:,hello'],
    ['a fragment', 'ws://example.com/#room'],
    ['an empty fragment', 'ws://example.com/#'],
    ['a fragment on an http: URL', 'http://example.com/a#b'],
  ])('throws a SyntaxError DOMException for %s', (_name, url) => {
    expectDOMException(() => new WebSocket(url), 'SyntaxError', SYNTAX_ERR);
  });

  it.each([
    ['ws://example.com', 'ws://example.com/'],
    ['WS://Example.COM:80/a', 'ws://example.com/a'],
    ['http://example.com:8080/p?q=1', 'ws://example.com:8080/p?q=1'],
    ['https://example.com:443/p', 'wss://example.com/p'],
    ['wss://example.com:444/', 'wss://example.com:444/'],
    ['ws://example.com/a b', 'ws://example.com/a%20b'],
    ['ws://[::1]:9/', 'ws://[::1]:9/'],
  ])('parses %s as %s (http: and https: become ws: and wss:)', (input, href) => {
    const ws = new WebSocket(input);
    expect(ws.url).toBe(href);
    ws.close();
  });

  it('accepts a URL object', () => {
    const ws = new WebSocket(new URL('ws://example.com/x'));
    expect(ws.url).toBe('ws://example.com/x');
    ws.close();
  });

  it.each([
    ['an empty name', ''],
    ['a space', 'a b'],
    ['a comma', 'a,b'],
    ['a separator', 'a;b'],
    ['parentheses', '(chat)'],
    ['a slash', 'chat/1'],
    ['non-ASCII', 'chät'],
    ['a control character', 'a\tb'],
    ['DEL', 'a\u007f'],
  ])('throws a SyntaxError for a subprotocol with %s', (_name, protocol) => {
    expectDOMException(() => new WebSocket('ws://example.com', protocol), 'SyntaxError', SYNTAX_ERR);
    expectDOMException(() => new WebSocket('ws://example.com', ['ok', protocol]), 'SyntaxError', SYNTAX_ERR);
  });

  it('throws a SyntaxError for a repeated subprotocol (names compare exactly)', () => {
    expectDOMException(() => new WebSocket('ws://example.com', ['chat', 'chat']), 'SyntaxError', SYNTAX_ERR);
    const ws = new WebSocket('ws://example.com', ['chat', 'Chat']);
    ws.close();
  });

  it('converts protocols like WebIDL: a Symbol is a TypeError, other values become strings', async () => {
    expect(() => new WebSocket('ws://example.com', Symbol('x') as never)).toThrow(TypeError);
    expect(() => new WebSocket('ws://example.com', ['a', Symbol('x')] as never)).toThrow(TypeError);
    expect(() => new WebSocket(Symbol('x') as never)).toThrow(TypeError);
    const offered: Array<[unknown, string | undefined]> = [
      [42, '42'],
      [null, 'null'],
      [new Set(['a', 'b']), 'a, b'],
      [[], undefined],
      ['single', 'single'],
    ];
    for (const [protocols, header] of offered) {
      const { ws, connection } = await connecting(protocols as never);
      expect(connection.request.headers['sec-websocket-protocol']).toBe(header);
      ws.close();
    }
  });

  it('reads { protocols, headers } as krandog options; refuses handshake headers and invalid ones with a TypeError', async () => {
    const { ws, connection } = await connecting({ protocols: 'chat', headers: [['X-One', '1']] });
    expect(connection.request.headers['sec-websocket-protocol']).toBe('chat');
    expect(connection.request.headers['x-one']).toBe('1');
    ws.close();
    const fromHeaders = await connecting({ headers: new Headers({ 'X-Two': '2' }) });
    expect(fromHeaders.connection.request.headers['x-two']).toBe('2');
    fromHeaders.ws.close();
    for (const name of ['Sec-WebSocket-Key', 'Upgrade', 'connection', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions']) {
      expect(() => new WebSocket('ws://example.com', { headers: { [name]: 'x' } }), name).toThrow(TypeError);
    }
    expect(() => new WebSocket('ws://example.com', { headers: { 'bad name': 'x' } })).toThrow(TypeError);
    expect(() => new WebSocket('ws://example.com', { headers: { 'X-A': 'line\nbreak' } })).toThrow(TypeError);
    // Headers lets other control characters through; node:http refuses them, still a TypeError.
    expect(() => new WebSocket('ws://example.com', { headers: { 'X-A': 'a\u0001b' } })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/^WebSocket: /) }),
    );
    expect(() => new WebSocket('ws://example.com', { protocols: ['a', 'a'] })).toThrow(DOMException);
  });

  it('checks the URL before the subprotocols', () => {
    expect(() => new WebSocket('ftp://x', ['a', 'a'])).toThrow(/scheme/);
  });

  it('never opens before the constructor returns: open comes in a later task', async () => {
    const peer = await startPeer();
    const ws = new WebSocket(peer.url);
    const events = record(ws);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    await Promise.resolve();
    expect(events).toEqual([]);
    await next(ws, 'open');
    expect(events).toEqual([{ type: 'open', readyState: WebSocket.OPEN }]);
    ws.close();
  });
});

describe('attributes', () => {
  it('start as the standard says: CONNECTING, 0 buffered, no protocol or extensions, binaryType blob, no handlers', () => {
    const ws = new WebSocket('ws://example.com/path');
    expect(ws.url).toBe('ws://example.com/path');
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.bufferedAmount).toBe(0);
    expect(ws.protocol).toBe('');
    expect(ws.extensions).toBe('');
    expect(ws.binaryType).toBe('blob');
    expect([ws.onopen, ws.onmessage, ws.onerror, ws.onclose]).toEqual([null, null, null, null]);
    expect(ws.CONNECTING).toBe(0);
    expect(Object.prototype.toString.call(ws)).toBe('[object WebSocket]');
    ws.close();
  });

  it('binaryType takes blob and arraybuffer and ignores anything else (WebIDL enum)', () => {
    const ws = new WebSocket('ws://example.com');
    ws.binaryType = 'arraybuffer';
    expect(ws.binaryType).toBe('arraybuffer');
    ws.binaryType = 'Blob' as never;
    expect(ws.binaryType).toBe('arraybuffer');
    ws.binaryType = 'nonsense' as never;
    expect(ws.binaryType).toBe('arraybuffer');
    ws.binaryType = 'blob';
    expect(ws.binaryType).toBe('blob');
    expect(() => (ws.binaryType = Symbol('x') as never)).toThrow(TypeError);
    ws.close();
  });

  it('read-only attributes cannot be assigned (strict mode throws)', () => {
    const ws = new WebSocket('ws://example.com');
    expect(() => ((ws as { url: string }).url = 'ws://other/')).toThrow(TypeError);
    expect(() => ((ws as { readyState: number }).readyState = 1)).toThrow(TypeError);
    expect(ws.url).toBe('ws://example.com/');
    ws.close();
  });

  it('follow the connection: OPEN with the chosen protocol, CLOSING after close(), CLOSED at the close event', async () => {
    const peer = await startPeer({ handleProtocols: () => 'b' });
    const ws = await openClient(peer.url, ['a', 'b']);
    expect([ws.readyState, ws.protocol, ws.extensions]).toEqual([WebSocket.OPEN, 'b', '']);
    ws.close();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await closed(ws);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    expect(ws.protocol).toBe('b');
  });
});

describe('send()', () => {
  it('needs an argument; converts it before checking the state', () => {
    const ws = new WebSocket('ws://example.com');
    expect(() => (ws.send as () => void)()).toThrow(TypeError);
    expect(() => ws.send(Symbol('x') as never)).toThrow(TypeError);
    ws.close();
  });

  it('throws InvalidStateError while CONNECTING', () => {
    const ws = new WebSocket('ws://example.com');
    expectDOMException(() => ws.send('early'), 'InvalidStateError', INVALID_STATE_ERR);
    ws.close();
  });

  it('sends anything that is not binary as text: undefined, null, numbers, objects', async () => {
    const peer = await startPeer();
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url);
    const socket = await serverSide;
    const got: string[] = [];
    socket.on('message', (data, isBinary) => got.push(`${isBinary}:${data}`));
    for (const value of [undefined, null, 12.5, { a: 1 }, ['x', 'y']]) ws.send(value as never);
    await new Promise<void>((resolve) => socket.on('message', () => got.length === 5 && resolve()));
    expect(got).toEqual(['false:undefined', 'false:null', 'false:12.5', 'false:[object Object]', 'false:x,y']);
    ws.close();
  });

  it('sends a lone surrogate as U+FFFD (USVString) and counts its 3 bytes', async () => {
    const peer = await startPeer();
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url);
    const message = new Promise<string>((resolve) => serverSide.then((s) => s.once('message', (data) => resolve(String(data)))));
    ws.send('a\ud800b');
    expect(ws.bufferedAmount).toBe(5);
    expect(await message).toBe('a\ufffdb');
    ws.close();
  });

  it('after a failed handshake, only grows bufferedAmount', async () => {
    const { ws, connection } = await connecting();
    connection.socket.destroy();
    await closed(ws);
    ws.send('four');
    ws.send(new Blob(['12']));
    expect(ws.bufferedAmount).toBe(6);
  });
});

describe('close()', () => {
  it.each([0, 999, 1001, 1002, 1005, 1006, 1015, 2999, 5000, 65535, -1, Number.NaN, 'abc', null, 4999.5])(
    'throws InvalidAccessError for code %s',
    (code) => {
      const ws = new WebSocket('ws://example.com');
      expectDOMException(() => ws.close(code as number), 'InvalidAccessError', INVALID_ACCESS_ERR);
      expect(ws.readyState).toBe(WebSocket.CONNECTING);
      ws.close();
    },
  );

  it.each([1000, 3000, 4999, 1000.4, 999.6, '3000', 4998.5])('accepts code %s ([Clamp] unsigned short: halves round to even)', (code) => {
    const ws = new WebSocket('ws://example.com');
    expect(() => ws.close(code as number)).not.toThrow();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
  });

  it('throws SyntaxError for a reason over 123 bytes of UTF-8 (after checking the code)', () => {
    const ws = new WebSocket('ws://example.com');
    expectDOMException(() => ws.close(1000, 'x'.repeat(124)), 'SyntaxError', SYNTAX_ERR);
    expectDOMException(() => ws.close(1000, 'é'.repeat(62)), 'SyntaxError', SYNTAX_ERR);
    // Lone surrogates count as U+FFFD, 3 bytes each: 41 fit, 42 do not.
    expectDOMException(() => ws.close(1000, '\ud800'.repeat(42)), 'SyntaxError', SYNTAX_ERR);
    expectDOMException(() => ws.close(1, 'x'.repeat(200)), 'InvalidAccessError', INVALID_ACCESS_ERR);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(() => ws.close(1000, '\ud800'.repeat(41))).not.toThrow();
    expect(() => new WebSocket('ws://example.com').close(4000, 'x'.repeat(123))).not.toThrow();
  });

  it('still validates its arguments once CLOSED, and otherwise does nothing', async () => {
    const peer = await startPeer();
    const ws = await openClient(peer.url);
    const events = record(ws);
    ws.close(1000);
    ws.close(4000);
    await closed(ws);
    expectDOMException(() => ws.close(1), 'InvalidAccessError', INVALID_ACCESS_ERR);
    ws.close();
    expect(events.map((event) => event.type)).toEqual(['close']);
  });

  it('while CONNECTING: CLOSING at once, then error and close 1006 (wasClean false), never open', async () => {
    const { ws, connection } = await connecting();
    const events = record(ws);
    ws.close(1000, 'never mind');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    // The server answering now changes nothing: the attempt was abandoned.
    connection.accept();
    await closed(ws);
    expect(events).toEqual([
      { type: 'error', readyState: WebSocket.CLOSED },
      { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
    ]);
    await connection.ended;
  });

  it('between the 101 and the open task: error and close 1006, no open', async () => {
    const { ws, connection } = await connecting();
    const events = record(ws);
    // Call close() right after the client took the 101 (a microtask after Connection.start), before
    // its open task can run.
    const originalStart = Connection.prototype.start;
    const start = vi.spyOn(Connection.prototype, 'start').mockImplementationOnce(function (this: Connection, head?: Buffer) {
      originalStart.call(this, head);
      queueMicrotask(() => ws.close());
    });
    connection.accept();
    await closed(ws);
    expect(start).toHaveBeenCalledOnce();
    start.mockRestore();
    expect(events).toEqual([
      { type: 'error', readyState: WebSocket.CLOSED },
      { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
    ]);
  });
});

describe('event handler attributes', () => {
  it('call the handler with the event and the WebSocket as `this`; null removes it; primitives mean null', () => {
    const ws = new WebSocket('ws://example.com');
    const calls: unknown[] = [];
    ws.onmessage = function (this: WebSocket, event: Event) {
      calls.push([this === ws, event.type]);
    };
    ws.dispatchEvent(new Event('message'));
    ws.onmessage = null;
    ws.dispatchEvent(new Event('message'));
    (ws as { onmessage: unknown }).onmessage = 'not a function';
    expect(ws.onmessage).toBe(null);
    expect(calls).toEqual([[true, 'message']]);
    ws.close();
  });

  it('keep the handler in the place where it was first set when it is replaced', () => {
    const ws = new WebSocket('ws://example.com');
    const order: string[] = [];
    ws.onopen = () => order.push('first handler');
    ws.addEventListener('open', () => order.push('listener'));
    ws.onopen = () => order.push('second handler');
    ws.dispatchEvent(new Event('open'));
    expect(order).toEqual(['second handler', 'listener']);
    ws.close();
  });

  it('each attribute listens to its own event; a non-callable object is kept but not called', () => {
    const ws = new WebSocket('ws://example.com');
    const seen: string[] = [];
    ws.onopen = () => seen.push('open');
    ws.onmessage = () => seen.push('message');
    ws.onerror = () => seen.push('error');
    ws.onclose = () => seen.push('close');
    for (const type of ['close', 'error', 'message', 'open']) ws.dispatchEvent(new Event(type));
    expect(seen).toEqual(['close', 'error', 'message', 'open']);
    const object = { handleEvent: () => seen.push('handleEvent') };
    (ws as { onopen: unknown }).onopen = object;
    expect(ws.onopen).toBe(object);
    ws.dispatchEvent(new Event('open'));
    expect(seen).toHaveLength(4);
    ws.onclose = null;
    ws.close();
  });
});

describe('events', () => {
  it('open is a plain Event; message is a MessageEvent with data and the URL origin', async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) => socket.send('hi'));
    const ws = new WebSocket(`${peer.url}/some/path?x=1`);
    const open = await next(ws, 'open');
    expect(open.constructor).toBe(Event);
    expect([open.type, open.bubbles, open.cancelable, open.target]).toEqual(['open', false, false, ws]);
    const message = await next<MessageEvent>(ws, 'message');
    expect(message).toBeInstanceOf(MessageEvent);
    expect([message.data, message.origin, message.lastEventId, message.source]).toEqual(['hi', `ws://127.0.0.1:${peer.port}`, '', null]);
    ws.close();
  });

  it('close is a CloseEvent and error an ErrorEvent with the reason', async () => {
    const { ws, connection } = await connecting();
    connection.accept({ 'Sec-WebSocket-Accept': 'bad' });
    const { error, close } = await closed(ws);
    expect(error).toBeInstanceOf(ErrorEvent);
    expect(error!.message).toMatch(/Sec-WebSocket-Accept/);
    expect(error!.error).toBeInstanceOf(Error);
    expect(close).toBeInstanceOf(CloseEvent);
    expect([close.code, close.reason, close.wasClean]).toEqual([1006, '', false]);
  });

  it('messages arrive in order, text as strings and binary per binaryType at dispatch time', async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) => {
      socket.send('text');
      socket.send(Buffer.from([1]));
      socket.send(Buffer.from([2]));
    });
    const ws = new WebSocket(peer.url);
    ws.onmessage = () => (ws.binaryType = 'arraybuffer');
    const data = await messages(ws, 3);
    expect(data[0]).toBe('text');
    expect(data[1]).toBeInstanceOf(ArrayBuffer);
    expect(data[2]).toBeInstanceOf(ArrayBuffer);
    ws.close();
  });
});

describe('CloseEvent and ErrorEvent', () => {
  it('CloseEvent defaults to code 0, reason "", wasClean false and converts its init', () => {
    const plain = new CloseEvent('close');
    expect([plain.code, plain.reason, plain.wasClean, plain.type, plain.bubbles]).toEqual([0, '', false, 'close', false]);
    const converted = new CloseEvent('close', { code: 65536 + 1000, reason: 'a\ud800', wasClean: 1 as never, cancelable: true });
    expect([converted.code, converted.reason, converted.wasClean, converted.cancelable]).toEqual([1000, 'a\ufffd', true, true]);
    expect(converted).toBeInstanceOf(Event);
    expect(Object.prototype.toString.call(converted)).toBe('[object CloseEvent]');
    expect(() => new (CloseEvent as unknown as new () => Event)()).toThrow(TypeError);
    expect(() => Object.getOwnPropertyDescriptor(CloseEvent.prototype, 'code')!.get!.call(new Event('x'))).toThrow(TypeError);
  });

  it('ErrorEvent defaults and fields', () => {
    const plain = new ErrorEvent('error');
    expect([plain.message, plain.filename, plain.lineno, plain.colno, plain.error]).toEqual(['', '', 0, 0, null]);
    const cause = new Error('boom');
    const full = new ErrorEvent('error', { message: 'boom', filename: 'f.js', lineno: 3, colno: 4, error: cause });
    expect([full.message, full.filename, full.lineno, full.colno, full.error]).toEqual(['boom', 'f.js', 3, 4, cause]);
    expect(Object.prototype.toString.call(full)).toBe('[object ErrorEvent]');
  });
});
