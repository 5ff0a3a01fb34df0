// One request's way through the server: read the body (bounded), call the handler, send its result,
// and turn every failure into a short error response plus a line on stderr.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logRequestError, sendErrorResponse, sendInternalError, sendPayloadTooLarge } from './errors.ts';
import { HttpRequest, type RequestSource } from './request.ts';
import { announcedBodyLength, readBody, TOO_LARGE } from './request-body.ts';
import { InvalidResponseError, sendResult } from './response.ts';
import { offersWebSocket } from './upgrade-offer.ts';
import { isH2Request, mayHaveH2Body } from './h2-headers.ts';
import { isThenable } from '../util/thenable.ts';

/** A handler: gets the request, returns (or resolves to) the response. */
export type RequestHandler = (request: HttpRequest) => unknown;

/** Where the lean path (lean-connection.ts) takes a handler's result. */
export interface LeanExchange {
  /** Sends a simple result at once; false when it needs a ServerResponse. */
  sendSimple(result: unknown, method: string): boolean;
  /** A ServerResponse for this request (the same one on every call). */
  nodeResponse(): ServerResponse;
}

/** A node:http response, or the lean path's exchange that makes one only when needed. */
type ResponseTarget = ServerResponse | LeanExchange;

/** Answers requests with a handler; its two listeners go on a node:http server. */
export class RequestDispatcher {
  readonly #handler: RequestHandler;
  readonly #maxBodySize: number;
  /** Set when the server answers WebSockets: a half-made WebSocket handshake then gets 400. */
  refusesBareUpgrades = false;

  constructor(handler: RequestHandler, maxBodySize: number) {
    this.#handler = handler;
    this.#maxBodySize = maxBodySize;
  }

  /** Node's 'request' listener. Requests without a body reach the handler in the same tick. */
  readonly onRequest = (incoming: IncomingMessage, res: ServerResponse): void => {
    // Node routes `Upgrade: websocket` without `Connection: upgrade` here, not to 'upgrade'; it is
    // a broken WebSocket handshake (RFC 6455 §4.2.1), not a plain request.
    if (this.refusesBareUpgrades && offersWebSocket(incoming.headers.upgrade)) {
      sendErrorResponse(res, 400, 'Bad Request', 'WebSocket handshake without "Connection: Upgrade"', true);
      return;
    }
    let length = announcedBodyLength(incoming.headers);
    if (length === 0 && isH2Request(incoming) && mayHaveH2Body(incoming)) length = -1;
    if (length === 0) {
      this.#answer(incoming, res, undefined);
    } else if (length > this.#maxBodySize) {
      // Refused on its Content-Length alone: nothing of the body is read.
      sendPayloadTooLarge(res, this.#maxBodySize);
    } else {
      readBody(incoming, length, this.#maxBodySize).then((bytes) => {
        if (bytes === TOO_LARGE) sendPayloadTooLarge(res, this.#maxBodySize);
        else if (bytes !== undefined) this.#answer(incoming, res, bytes);
      });
    }
  };

  /** Node's 'checkContinue' listener (RFC 9110 §10.1.1): refuse a too large body before it is sent. */
  readonly onCheckContinue = (incoming: IncomingMessage, res: ServerResponse): void => {
    if (announcedBodyLength(incoming.headers) > this.#maxBodySize) {
      sendPayloadTooLarge(res, this.#maxBodySize);
      return;
    }
    res.writeContinue();
    this.onRequest(incoming, res);
  };

  /** A bodiless request of the lean path: answered like onRequest's, through `exchange`. */
  answerLean(incoming: RequestSource, exchange: LeanExchange): void {
    this.#answer(incoming, exchange, undefined);
  }

  #answer(incoming: RequestSource, res: ResponseTarget, bytes: Buffer | undefined): void {
    const request = new HttpRequest(incoming, bytes);
    const handler = this.#handler; // called on its own: `this` inside it is not the dispatcher
    let result: unknown;
    let pending: Promise<unknown> | undefined;
    try {
      result = handler(request);
      // Looking for `then` runs the script's code (a getter, a Proxy trap), which may throw; and
      // Promise.resolve() takes one answer from a thenable, however often it calls back.
      if (isThenable(result)) pending = Promise.resolve(result);
    } catch (error) {
      this.#fail(res, request, error);
      return;
    }
    if (pending === undefined) {
      this.#send(res, request, result);
    } else {
      pending.then(
        (value) => this.#send(res, request, value),
        (error: unknown) => this.#fail(res, request, error),
      );
    }
  }

  #send(target: ResponseTarget, request: HttpRequest, result: unknown): void {
    try {
      if (isLeanExchange(target) && target.sendSimple(result, request.method)) return;
      // A streamed body settles later and reports its own failures.
      void sendResult(responseOf(target), request.method, request.url, result);
    } catch (error) {
      this.#fail(target, request, error);
    }
  }

  #fail(target: ResponseTarget, request: HttpRequest, error: unknown): void {
    const res = responseOf(target);
    if (isInvalidResponse(error)) {
      // A mistake in the handler's return value: its stack would only show krandog's code.
      console.error(`krandog: ${error.message} (${request.method} ${request.url})`);
      sendInternalError(res, error.peerDetail);
      return;
    }
    logRequestError('the request handler failed', request.method, request.url, error);
    sendInternalError(res);
  }
}

function isLeanExchange(target: ResponseTarget): target is LeanExchange {
  return typeof (target as Partial<LeanExchange>).sendSimple === 'function';
}

function responseOf(target: ResponseTarget): ServerResponse {
  return isLeanExchange(target) ? target.nodeResponse() : target;
}

/** `instanceof`, which a thrown Proxy's traps cannot make throw. */
function isInvalidResponse(error: unknown): error is InvalidResponseError {
  try {
    return error instanceof InvalidResponseError;
  } catch {
    return false;
  }
}
