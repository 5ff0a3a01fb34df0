import nodeHttp from 'node:http';

export type Handler = (req: unknown) => unknown;

export function createServer(handler: Handler) {
  return nodeHttp.createServer(async (req, res) => {
    const out = (await handler(req)) as { status?: number; body?: string };
    res.writeHead(out.status ?? 200).end(out.body ?? '');
  });
}

export function serve(port: number, handler: Handler) {
  return createServer(handler).listen(port);
}
