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
// channel's slot is ready, and nothing published earlier waits for that node: otherwise it waits
// here, in one FIFO per node, until the connection is ready (opened on demand), then goes out in
// order. A change of the cluster's layout re-sorts what waits by the new owners, in publish order.
// What a channel's owner receives on one connection it runs, and sends to subscribers, in order.
// (A message in flight when its node's connection drops is still the client's to retry, as above:
// that is an outage, reported by the health check.)
import type { Cluster, Redis } from 'ioredis';
import { clusterSlot } from './cluster-slot.ts';

interface Waiting {
  /** Publish order across every node's FIFO, for re-sorting after a change of layout. */
  readonly sequence: number;
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
  #sequence = 0;
  /** Connections whose 'ready' is awaited. */
  readonly #watched = new WeakSet<Redis>();
  #closed = false;

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
    // The cluster's layout is known (again), or a node's connection was (re)created.
    cluster.on('ready', () => {
      this.#openConnections();
      this.#pump();
    });
    cluster.on('+node', () => process.nextTick(() => this.#pump()));
  }

  /** SPUBLISH now when nothing holds it back, else once the connection to the channel's owner is ready. */
  publish(channel: string, envelope: Buffer, done: () => void): void {
    if (this.#closed) return done();
    const owner = this.#ownerOf(channel);
    if (!this.#waiting.has(owner) && this.#cluster.status === 'ready' && this.#connection(owner)?.status === 'ready') {
      this.#send(channel, envelope, done);
      return;
    }
    const waiting = this.#waiting.get(owner);
    const message = { sequence: ++this.#sequence, channel, envelope, done };
    if (waiting === undefined) this.#waiting.set(owner, [message]);
    else waiting.push(message);
    this.#watch(owner);
  }

  /** Nothing goes out any more; what waits is lost. */
  close(): void {
    this.#closed = true;
    const waiting = [...this.#waiting.values()].flat();
    this.#waiting.clear();
    for (const message of waiting) message.done();
  }

  /** Sends every FIFO whose node's connection is ready, after sorting them by the current owners. */
  #pump(): void {
    if (this.#closed || this.#cluster.status !== 'ready' || this.#waiting.size === 0) return;
    let all = [...this.#waiting.values()];
    const moved = [...this.#waiting].some(([owner, waiting]) => waiting.some((message) => this.#ownerOf(message.channel) !== owner));
    if (moved) {
      // Each topic's messages stay in publish order in their new owner's FIFO.
      all = [all.flat().sort((a, b) => a.sequence - b.sequence)];
      this.#waiting = new Map();
      for (const message of all[0]) {
        const owner = this.#ownerOf(message.channel);
        const waiting = this.#waiting.get(owner);
        if (waiting === undefined) this.#waiting.set(owner, [message]);
        else waiting.push(message);
      }
    }
    for (const [owner, waiting] of this.#waiting) {
      if (this.#connection(owner)?.status !== 'ready') {
        this.#watch(owner);
        continue;
      }
      this.#waiting.delete(owner);
      for (const message of waiting) this.#send(message.channel, message.envelope, message.done);
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

  /** The node (`host:port`) that owns the slot of `channel`, by the client's current map. */
  #ownerOf(channel: string): string {
    return this.#cluster.slots[clusterSlot(channel)]?.[0] ?? NO_OWNER;
  }

  #connection(owner: string): Redis | undefined {
    if (owner === NO_OWNER) return undefined;
    return this.#cluster.nodes('all').find((node) => `${node.options.host}:${node.options.port}` === owner);
  }
}

function ignore(): void {
  // A connection that fails to open: the pool reports its error, the health check the outage.
}
