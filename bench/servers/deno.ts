// Deno.serve + Deno.upgradeWebSocket. Run as `deno run --allow-net deno.ts echo|broadcast|http|deflate`.
// Broadcast is a send loop over the open sockets (Deno has no topics). Deno.upgradeWebSocket has no
// permessage-deflate option: in deflate mode it echoes as usual, and the load generator reports
// that the offer was declined.
const mode = Deno.args[0] ?? 'echo';
const sockets = new Set<WebSocket>();

function handle(req: Request): Response {
  if (mode === 'http' || req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return new Response('Hello, World!', { headers: { 'content-type': 'text/plain' } });
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.binaryType = 'arraybuffer';
  if (mode === 'broadcast') {
    socket.onopen = () => sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (event) => {
      for (const client of sockets) {
        if (client.readyState === WebSocket.OPEN) client.send(event.data);
      }
    };
  } else {
    socket.onmessage = (event) => socket.send(event.data);
  }
  return response;
}

Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`LISTENING ${port}`) }, handle);
