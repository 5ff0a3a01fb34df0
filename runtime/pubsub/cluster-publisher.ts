// SPUBLISH on a Redis Cluster, each topic's messages in the order published.
//
// ioredis's Cluster keeps one connection per node, opened lazily on the node's first command. A
// command for a node whose connection is still opening is refused at once ("Connection is
// closed.", as the Cluster's offline queue is off) and retried by the client some 100 ms later
// through a random node and a MOVED redirect; meanwhile the messages published after it go out
// once the connection is ready: a topic's messages arrived out of order, in bursts right after
// connecting (the first message to each node waits in that connection's queue, the next ones are
// refused and retried) and after a node came back.
//
// So krandog hands a message to the client only when the connection to the node that owns its
// channel's slot is ready, and no earlier message of that slot waits: otherwise it waits here, in
// one FIFO per node, until the connection is ready (opened on demand), then goes out in order. A
// change of the cluster's layout re-sorts what waits by the new owners, in publish order.
// What a channel's owner receives on one connection it runs, and sends to subscribers, in order.
// (A message in flight when its node's connection drops is still the client's to retry, as above:
// that is an outage, reported by the health check.)
import type { Cluster, Redis } from 'ioredis';
import { clusterSlot } from './cluster-slot.ts';

interface Waiting {
  /** Publish order across every node's FIFO, for re-sorting after a change of layout. */
  readonly sequence: number;
  /** The hash slot of the channel. */
  readonly slot: number;
  readonly channel: string;
  readonly envelope: Buffer;
  /** Called once Redis answered, or the message is lost (a connection dropped with it in flight, or close). */
  readonly done: () => void;
}

/** The FIFO of messages whose channel's slot has no known owner. */
const NO_OWNER = '';

export class ClusterPublisher {
  readonly #cluster: Cluster;
  /** Messages waiting for a node's connection, by node (`host:port`), each FIFO in publish order. */
  #waiting = new Map<string, Waiting[]>();
  /** How many messages wait, by slot: a message of a slot with some waiting waits too. */
  readonly #waitingBySlot = new Map<number, number>();
  #sequence = 0;
  /** Connections whose 'ready' is awaited. */
  readonly #watched = new WeakSet<Redis>();
  /** A pump is due (a message waits behind others of its slot for a node that is ready). */
  #pumpDue = false;
  #closed = false;

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
    // The cluster's layout is known (again), or a node's connection was (re)created.
    cluster.on('ready', () => {
      this.#openConnections();
      this.#pump();
    });
    cluster.on('+node', () => this.#schedulePump());
  }

  /**
   * SPUBLISH now when the connection to the channel's owner is ready and no earlier message of the
   * channel's slot waits, else once that connection is ready, after them.
   */
  publish(channel: string, envelope: Buffer, done: () => void): void {
    if (this.#closed) return done();
    const slot = clusterSlot(channel);
    const owner = this.#ownerOf(slot);
    const ready = this.#cluster.status === 'ready' && this.#connection(owner)?.status === 'ready';
    if (ready && !this.#waitingBySlot.has(slot)) {
      this.#send(channel, envelope, done);
      return;
    }
    this.#enqueue(owner, { sequence: ++this.#sequence, slot, channel, envelope, done });
    this.#waitingBySlot.set(slot, (this.#waitingBySlot.get(slot) ?? 0) + 1);
    // Behind messages of its slot that wait elsewhere (for a node that no longer owns it, or for a slot with no owner yet).
    if (ready) this.#schedulePump();
    else this.#watch(owner);
  }

  /** Nothing goes out any more; what waits is lost. */
  close(): void {
    this.#closed = true;
    const waiting = [...this.#waiting.values()].flat();
    this.#waiting.clear();
    this.#waitingBySlot.clear();
    for (const message of waiting) message.done();
  }

  #enqueue(owner: string, message: Waiting): void {
    const waiting = this.#waiting.get(owner);
    if (waiting === undefined) this.#waiting.set(owner, [message]);
    else waiting.push(message);
  }

  #schedulePump(): void {
    if (this.#pumpDue) return;
    this.#pumpDue = true;
    process.nextTick(() => {
      this.#pumpDue = false;
      this.#pump();
    });
  }

  /** Sends every FIFO whose node's connection is ready, after sorting them by the current owners. */
  #pump(): void {
    if (this.#closed || this.#cluster.status !== 'ready' || this.#waiting.size === 0) return;
    const moved = [...this.#waiting].some(([owner, waiting]) => waiting.some((message) => this.#ownerOf(message.slot) !== owner));
    if (moved) {
      // Each slot's messages stay in publish order in their new owner's FIFO.
      const all = [...this.#waiting.values()].flat().sort((a, b) => a.sequence - b.sequence);
      this.#waiting = new Map();
      for (const message of all) this.#enqueue(this.#ownerOf(message.slot), message);
    }
    for (const [owner, waiting] of this.#waiting) {
      if (this.#connection(owner)?.status !== 'ready') {
        this.#watch(owner);
        continue;
      }
      this.#waiting.delete(owner);
      for (const message of waiting) {
        const left = this.#waitingBySlot.get(message.slot)! - 1;
        if (left === 0) this.#waitingBySlot.delete(message.slot);
        else this.#waitingBySlot.set(message.slot, left);
        this.#send(message.channel, message.envelope, message.done);
      }
    }
  }

  #send(channel: string, envelope: Buffer, done: () => void): void {
    this.#cluster.spublish(channel, envelope).then(done, done);
  }

  /** Opens the connection to `owner` if it waits to be opened, and pumps once it is ready. */
  #watch(owner: string): void {
    const connection = this.#connection(owner);
    // No connection (yet): the client makes one when it refreshes the layout ('+node').
    if (connection === undefined) return;
    if (!this.#watched.has(connection)) {
      this.#watched.add(connection);
      connection.once('ready', () => {
        this.#watched.delete(connection);
        this.#pump();
      });
    }
    if (connection.status === 'wait') connection.connect().catch(ignore);
  }

  /** Every master's connection opened before the first message needs it. */
  #openConnections(): void {
    for (const connection of this.#cluster.nodes('master')) if (connection.status === 'wait') connection.connect().catch(ignore);
  }

  /** The node (`host:port`) that owns `slot`, by the client's current map. */
  #ownerOf(slot: number): string {
    return this.#cluster.slots[slot]?.[0] ?? NO_OWNER;
  }

  #connection(owner: string): Redis | undefined {
    if (owner === NO_OWNER) return undefined;
    return this.#cluster.nodes('all').find((node) => `${node.options.host}:${node.options.port}` === owner);
  }
}

function ignore(): void {
  // A connection that fails to open: the pool reports its error, the health check the outage.
}
