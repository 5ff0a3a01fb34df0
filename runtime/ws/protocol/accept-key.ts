// The one computation both handshake roles share: the server answers a key with it, the client checks the answer.
import { createHash } from 'node:crypto';
import { HANDSHAKE_GUID } from './constants.ts';

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2 step 5.4). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
}
