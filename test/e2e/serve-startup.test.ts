// `drg serve` while it starts: nothing is answered before every component is ready.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { test } from 'node:test';
import { freePort, startServe } from '../helpers/serve.js';

/** GETs `url` until the server accepts the connection; resolves with the first answer. */
function firstAnswer(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') setImmediate(attempt);
        else reject(err);
      });
    };
    attempt();
  });
}

test('the first discovery answer, while drg serve is still starting, already has the issuer', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const answer = firstAnswer(`${url}/.well-known/drogue-endpoints`);
  const serve = await startServe({ port });
  try {
    const { status, body } = await answer;
    assert.equal(status, 200);
    const endpoints = JSON.parse(body);
    assert.equal(endpoints.issuer_url, `${url}/oidc`);
    assert.deepEqual(endpoints.registry, { url });
  } finally {
    await serve.stop();
  }
});
