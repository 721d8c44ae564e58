// HTTP(S) servers on ephemeral loopback ports for tests of the client's transport, closed when the test ends.
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface Peer {
  server: Server;
  port: number;
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  /** Connections accepted so far. */
  connections: Socket[];
}

/** A server for this test only; `tls` makes it https. `host` names it in `url` (default 127.0.0.1). */
export async function peer(
  t: TestContext,
  handler: RequestListener,
  options: { tls?: { cert: string; key: string }; host?: string } = {},
): Promise<Peer> {
  const server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  const connections: Socket[] = [];
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `${options.tls ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${port}`,
    connections,
  };
}
