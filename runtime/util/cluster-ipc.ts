// The messages of `krandog --workers N` on the IPC channel between the cluster primary (the CLI,
// src/exec/workers.ts) and each worker's pub/sub backplane (runtime/pubsub/cluster-backplane.ts).

/** The key that marks a pub/sub message on the IPC channel; its value is the channel name. */
export const CLUSTER_MESSAGE_KEY = 'krandogPubsub';
/** A worker's health check, and the primary's answer; the value names the check. */
export const PING_KEY = 'krandogPubsubPing';
export const PONG_KEY = 'krandogPubsubPong';

export interface ClusterPubSubMessage {
  [CLUSTER_MESSAGE_KEY]: string;
  envelope: Uint8Array;
}

export function isClusterPubSubMessage(message: unknown): message is ClusterPubSubMessage {
  return typeof message === 'object' && message !== null && CLUSTER_MESSAGE_KEY in message;
}

/** For the primary: the answer to a worker's health check, or undefined for any other message. */
export function healthCheckAnswer(message: unknown): { [PONG_KEY]: unknown } | undefined {
  if (typeof message !== 'object' || message === null || !(PING_KEY in message)) return undefined;
  return { [PONG_KEY]: (message as { [PING_KEY]: unknown })[PING_KEY] };
}
