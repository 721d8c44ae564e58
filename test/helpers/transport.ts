// For tests of the client's transport: HTTP(S) servers on ephemeral loopback ports, closed when the test ends, their
// certificates, and the TransportError a call fails with.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { inspect } from 'node:util';
import { TransportError } from '../../src/client/transport.js';
import { opensslCa } from './certs.js';

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

/** A self-signed server certificate for `host` and 127.0.0.1, made by openssl in `dir`. */
export function serverCert(dir: string, host: string): { cert: string; key: string } {
  const { pem, key } = opensslCa(dir, host, [['CN', host]], 1, `subjectAltName=DNS:${host},IP:127.0.0.1`);
  return { cert: pem, key };
}

/** The TransportError `promise` rejects with. */
export async function failure(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TransportError, `expected a TransportError, got ${inspect(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}
