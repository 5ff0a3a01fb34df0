// CloseEvent (WebSockets standard §"The CloseEvent interface") and ErrorEvent (HTML §8.1.5.1), which
// Node 20 lacks. krandog always uses and installs these two classes, even on Node versions that
// have their own: the events the global WebSocket fires must be instances of the global CloseEvent
// and ErrorEvent, whatever version the runtime was built on (see src/bundle/lazy-globals.ts).
import { inspect, type InspectOptions } from 'node:util';

/** The dictionary `new CloseEvent(type, init)` reads. */
export interface CloseEventInit extends EventInit {
  wasClean?: boolean;
  code?: number;
  reason?: string;
}

/** Fired at a WebSocket when its connection closed; `code` and `reason` come from the close frame. */
export class CloseEvent extends Event {
  readonly #wasClean: boolean;
  readonly #code: number;
  readonly #reason: string;

  constructor(type: string, init: CloseEventInit = {}) {
    super(requiredType('CloseEvent', type, arguments.length), init);
    this.#wasClean = Boolean(init.wasClean);
    // WebIDL `unsigned short`: modulo 2^16, like the platform's own CloseEvent.
    this.#code = init.code === undefined ? 0 : toUint16(init.code);
    this.#reason = init.reason === undefined ? '' : toUSVString(init.reason);
  }

  /** Whether the closing handshake completed (both close frames went across before TCP closed). */
  get wasClean(): boolean { return this.#wasClean; }

  /** The close code the server sent; 1005 when its close frame had none, 1006 when none arrived. */
  get code(): number { return this.#code; }

  get reason(): string { return this.#reason; }

  [inspect.custom](depth: number, options: InspectOptions): string {
    return inspectEvent(this, { code: this.#code, reason: this.#reason, wasClean: this.#wasClean }, depth, options);
  }
}

/** The dictionary `new ErrorEvent(type, init)` reads. */
export interface ErrorEventInit extends EventInit {
  message?: string;
  filename?: string;
  lineno?: number;
  colno?: number;
  error?: unknown;
}

/**
 * An error with details. Browsers fire a plain Event at a failed WebSocket; krandog fires this
 * subclass so that a script can see why (`message`, and `error` with a `code` when there is one).
 */
export class ErrorEvent extends Event {
  readonly #message: string;
  readonly #filename: string;
  readonly #lineno: number;
  readonly #colno: number;
  readonly #error: unknown;

  constructor(type: string, init: ErrorEventInit = {}) {
    super(requiredType('ErrorEvent', type, arguments.length), init);
    this.#message = init.message === undefined ? '' : String(init.message);
    this.#filename = init.filename === undefined ? '' : toUSVString(init.filename);
    this.#lineno = init.lineno === undefined ? 0 : init.lineno >>> 0;
    this.#colno = init.colno === undefined ? 0 : init.colno >>> 0;
    this.#error = init.error === undefined ? null : init.error;
  }

  get message(): string { return this.#message; }

  get filename(): string { return this.#filename; }

  get lineno(): number { return this.#lineno; }

  get colno(): number { return this.#colno; }

  get error(): unknown { return this.#error; }

  [inspect.custom](depth: number, options: InspectOptions): string {
    return inspectEvent(this, { message: this.#message, error: this.#error }, depth, options);
  }
}

exposeAsInterface(CloseEvent, ['wasClean', 'code', 'reason']);
exposeAsInterface(ErrorEvent, ['message', 'filename', 'lineno', 'colno', 'error']);

/**
 * Makes a class look like a WebIDL interface: attributes enumerable (as Node's own Event has them)
 * and `Object.prototype.toString` naming the class.
 */
export function exposeAsInterface(constructor: { prototype: object; name: string }, members: readonly string[]): void {
  const prototype = constructor.prototype;
  for (const name of members) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
    Object.defineProperty(prototype, name, { ...descriptor, enumerable: true });
  }
  Object.defineProperty(prototype, Symbol.toStringTag, { value: constructor.name, configurable: true });
}

/** WebIDL USVString: lone surrogates become U+FFFD. */
export function toUSVString(value: unknown): string {
  return (`${value}` as string & { toWellFormed(): string }).toWellFormed();
}

/** WebIDL: a constructor called without its required `type` argument throws (as `new Event()` does). */
function requiredType(constructorName: string, type: string, argumentCount: number): string {
  if (argumentCount === 0) throw new TypeError(`${constructorName}: the type argument is required`);
  return type;
}

function toUint16(value: number): number {
  const number = Number(value);
  return Number.isFinite(number) ? (Math.trunc(number) & 0xffff) >>> 0 : 0;
}

/** `console.log(event)` shows what the event is about, not only Event's generic fields. */
function inspectEvent(event: Event, fields: object, depth: number, options: InspectOptions): string {
  const name = event.constructor.name;
  if (depth < 0) return name;
  const nested = { ...options, depth: options.depth == null ? options.depth : options.depth - 1 };
  return `${name} ${inspect({ type: event.type, ...fields }, nested)}`;
}
