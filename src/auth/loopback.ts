// The loopback redirect of a native app (RFC 8252 7.3): a one-shot HTTP listener on 127.0.0.1 and a random port
// that receives the browser's redirect with the authorization code, checks `state`, and answers the browser
// with a small page once the login is done.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrgError } from '../errors.js';

/** The browser's redirect back to drg, with the page to show it still to be sent. */
export interface LoopbackCallback {
  /** The whole redirect URL (`code`, `state`, `iss`). */
  url: URL;
  /** Shows the browser how the login ended. */
  finish(ok: boolean, message: string): void;
}

export interface LoopbackListener {
  /** `http://localhost:PORT/` (drg 0.11 used `localhost` too; issuers allow it for the client `drogue`). */
  redirectUri: string;
  /** The redirect carrying `expectedState`; rejects on an OAuth error for this login, or after `timeoutMs`. */
  waitForCallback(expectedState: string, timeoutMs: number): Promise<LoopbackCallback>;
  close(): Promise<void>;
}

export async function startLoopback(): Promise<LoopbackListener> {
  let deliver: ((req: { url: URL; res: ServerResponse }) => void) | undefined;
  const answered: Promise<unknown>[] = [];
  let redirectUri = '';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    // As the redirect URI says, whichever address the browser came to: the token request repeats it.
    const url = new URL(req.url ?? '/', redirectUri);
    if (req.method !== 'GET' || url.pathname !== '/') {
      sendPage(res, 404, 'Not found', 'This is drg waiting for a login.');
      return;
    }
    if (deliver) deliver({ url, res });
    else sendPage(res, 409, 'No login in progress', 'drg is not waiting for a login now.');
  };

  const v4 = createServer(handler);
  v4.listen(0, '127.0.0.1');
  await once(v4, 'listening');
  const { port } = v4.address() as AddressInfo;
  // Browsers may try ::1 first for `localhost`: listen there too on the same port when the machine has IPv6.
  const v6 = await listenOrUndefined(createServer(handler), port, '::1');
  const servers = [v4, ...(v6 ? [v6] : [])];
  redirectUri = `http://localhost:${port}/`;

  return {
    redirectUri,
    waitForCallback(expectedState, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          deliver = undefined;
          reject(
            new DrgError(`no login within ${Math.round(timeoutMs / 1000)}s: the browser did not come back to drg`, {
              hint: 'run `drg login` again, or use `drg login URL --device` on a machine without a browser',
            }),
          );
        }, timeoutMs);
        deliver = ({ url, res }) => {
          const params = url.searchParams;
          // A redirect for another login (or a forged one) is answered and ignored: this login goes on.
          if (params.get('state') !== expectedState) {
            sendPage(res, 400, 'Login not recognised', 'This answer does not belong to the login drg is waiting for.');
            return;
          }
          deliver = undefined;
          clearTimeout(timer);
          const error = params.get('error');
          if (error) {
            const description = params.get('error_description');
            sendPage(res, 400, 'Login failed', 'The login failed. Details are shown by drg.');
            reject(new DrgError(`the issuer refused the login: ${error}${description ? ` (${description})` : ''}`));
            return;
          }
          resolve({
            url,
            finish: (ok, message) => {
              answered.push(once(res, 'finish').catch(() => {}));
              sendPage(res, ok ? 200 : 400, ok ? 'Logged in' : 'Login failed', message);
            },
          });
        };
      });
    },
    async close() {
      deliver = undefined;
      // The last page reaches the browser before the connections are cut.
      await Promise.all(answered);
      await Promise.all(
        servers.map(async (server) => {
          server.closeAllConnections();
          server.close();
          await once(server, 'close');
        }),
      );
    },
  };
}

async function listenOrUndefined(server: Server, port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function sendPage(res: ServerResponse, status: number, title: string, message: string): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drg: ${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'",
    connection: 'close',
  });
  res.end(html);
}
