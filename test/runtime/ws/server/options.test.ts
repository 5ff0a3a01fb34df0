import { describe, expect, it } from 'vitest';
import { webSocketHandlerOf } from '../../../../runtime/ws/server/hooks.ts';
import { WEBSOCKET_DEFAULTS, resolveWebSocketOptions } from '../../../../runtime/ws/server/options.ts';

describe('resolveWebSocketOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveWebSocketOptions(undefined)).toEqual({ ...WEBSOCKET_DEFAULTS, protocols: undefined, allowOrigins: undefined, perMessageDeflate: false, sequentialMessages: false });
    expect(WEBSOCKET_DEFAULTS).toEqual({
      maxPayload: 16 * 1024 * 1024,
      maxFragments: 131_072,
      backpressureLimit: 16 * 1024 * 1024,
      idleTimeout: 120_000,
      pingInterval: 30_000,
      pongTimeout: 10_000,
      closeTimeout: 5_000,
      upgradeTimeout: 10_000,
    });
  });

  it('lets idleTimeout and pingInterval be 0 (off)', () => {
    expect(resolveWebSocketOptions({ idleTimeout: 0, pingInterval: 0 })).toMatchObject({ idleTimeout: 0, pingInterval: 0 });
  });

  it.each([
    [{ maxPayload: -1 }, /options\.maxPayload must be a non-negative integer, got -1/],
    [{ maxPayload: 0 }, /options\.maxPayload must be greater than 0/],
    [{ idleTimeout: '5s' }, /options\.idleTimeout must be a non-negative integer, got "5s"/],
    [{ backpressureLimit: 1.5 }, /options\.backpressureLimit/],
    [{ protocols: 'chat' }, /options\.protocols must be an array of subprotocol names/],
    [{ protocols: ['has space'] }, /options\.protocols/],
    [{ allowOrigins: 'https://example.com' }, /options\.allowOrigins must be an array of origins or a function/],
  ])('rejects %j with a TypeError naming the option', (options, message) => {
    expect(() => resolveWebSocketOptions(options as never)).toThrow(message);
  });
});

describe('webSocketHandlerOf', () => {
  it('treats a function as the seed-style handler of every message', () => {
    const handler = () => undefined;
    expect(webSocketHandlerOf(handler)).toEqual({ onMessageRequest: handler, hooks: {} });
  });

  it('takes the hooks of an object handler, and nothing from an object without `websocket`', () => {
    const hooks = { open() {} };
    expect(webSocketHandlerOf({ websocket: hooks })).toEqual({ onMessageRequest: undefined, hooks });
    expect(webSocketHandlerOf({ request() {} })).toBeUndefined();
  });

  it.each([
    [{ websocket: 'yes' }, /handler\.websocket must be an object of hooks/],
    [{ websocket: { message: 'echo' } }, /handler\.websocket\.message must be a function/],
    [{ websocket: { upgrade: 401 } }, /handler\.websocket\.upgrade must be a function/],
  ])('rejects %j with a TypeError', (handler, message) => {
    expect(() => webSocketHandlerOf(handler)).toThrow(message);
  });
});
