// HTTP header grammar shared by the HTTP server and both WebSocket roles. Helpers under
// runtime/util/ import nothing from krandog, only Node's built-ins.

/** RFC 9110 §5.6.2 token (1*tchar): a header name, a subprotocol or extension name, a parameter. */
const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `value` is a token (RFC 9110 §5.6.2). */
export function isToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * Whether a comma-separated header value (RFC 9110 §5.6.1) lists `token`, compared
 * case-insensitively (`token` given in lower case). A missing or repeated (array) header lists nothing.
 */
export function listsToken(value: string | string[] | undefined, token: string): boolean {
  if (typeof value !== 'string') return false;
  for (const part of value.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}
