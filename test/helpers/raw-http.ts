// HTTP spoken by hand over a TCP socket: requests that clients would not send (no Host, half a body, nothing at
// all), and what the server does with them.
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A connection to the server at `url`, once established; from `localAddress` when given (e.g. 127.0.0.2). */
export function openSocket(url: string, localAddress?: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Everything the server sends on `socket` until it closes the connection (a reset ends it too). */
export function readUntilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', () => {});
    socket.once('close', () => resolve(data));
  });
}

/** Sends `text` on a new connection; resolves with all the server sent once it closed the connection. */
export async function exchange(url: string, text: string): Promise<string> {
  const socket = await openSocket(url);
  const reply = readUntilClosed(socket);
  socket.write(text);
  return reply;
}

/** The first response in `text` (a Content-Length body). */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}

/** Resolves once the server answered `100 Continue` on `socket`: it has the request's headers and waits for the body. */
export function continued(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer | string) => {
      seen += chunk;
      if (seen.includes('100 Continue')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
}

/**
 * A POST to the applications whose headers are all sent and acknowledged (100 Continue), with `body` of the
 * 100 bytes it announces: a client that never finishes its body.
 */
export async function halfSentPost(server: { url: string; authorization: string }, body = '{"meta'): Promise<Socket> {
  const socket = await openSocket(server.url);
  const acknowledged = continued(socket);
  socket.write(
    `POST /api/registry/v1alpha1/apps HTTP/1.1\r\nHost: drg\r\nAuthorization: ${server.authorization}\r\n` +
      `Content-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n${body}`,
  );
  await acknowledged;
  return socket;
}
