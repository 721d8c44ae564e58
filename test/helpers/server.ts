// An in-process drg serve (startServer) on an ephemeral port in a temp dir, with its logs captured.
import { join } from 'node:path';
import pino from 'pino';
import { ADMIN_USER } from '../../src/server-lite/identity/users.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server-lite/server.js';
import { basic } from './config.js';
import { tempDir } from './serve.js';

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  /** An access token of `admin`. */
  token: string;
  /** `Authorization` header value for `admin` with that token. */
  authorization: string;
  logs: () => string;
  /** Resolves with the first log line that matches `pattern`, now or once it is written. */
  waitForLog: (pattern: RegExp) => Promise<string>;
  /** A request as admin; `body` sent as JSON. */
  call: (method: string, path: string, body?: unknown) => Promise<Response>;
  close: () => Promise<void>;
}

/** `tokenDescription`: the description of admin's access token (drg serve's own is `drg serve (context NAME)`). */
export async function startTestServer(
  dataDir = join(tempDir('drg-http-'), 'data'),
  options: Partial<ServerOptions> = {},
  tokenDescription = 'test',
): Promise<TestServer> {
  let logs = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        logs += line;
        for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      },
    },
  );
  const waitForLog = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const line = logs.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) resolve(line);
      else waiters.push({ pattern, resolve });
    });
  const server = await startServer({ port: 0, bind: '127.0.0.1', dataDir, logger, ...options });
  const { token } = server.accessTokens.create(ADMIN_USER, tokenDescription);
  const authorization = basic(ADMIN_USER, token);
  const call = (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${server.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  return {
    server,
    url: server.url,
    dataDir,
    token,
    authorization,
    logs: () => logs,
    waitForLog,
    call,
    close: () => server.close(),
  };
}
