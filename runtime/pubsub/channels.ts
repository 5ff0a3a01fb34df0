// The Redis channel of a topic: `<prefix>:<topic>`, the topic escaped so that every topic string
// has its own channel, readable in `PUBSUB CHANNELS` for the usual ones. Letters, digits and
// `_ . ~ : / @ + = , -` stay as they are; any other character becomes %XX per byte of its UTF-8
// (so `%` itself, spaces, and `{` `}`, which would otherwise pick the Redis Cluster hash slot), and
// a lone surrogate, which UTF-8 cannot carry, becomes %uXXXX. Channels are plain ASCII.

const UNSAFE = /[^A-Za-z0-9_.~:/@+=,-]/gu;

/** The channel that carries `topic`'s messages for applications on `prefix`. */
export function topicChannel(prefix: string, topic: string): string {
  return `${prefix}:${topic.replace(UNSAFE, escapeCharacter)}`;
}

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  if (character.length === 1 && code >= 0xd800 && code <= 0xdfff) return `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  let escaped = '';
  for (const byte of Buffer.from(character)) escaped += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return escaped;
}
