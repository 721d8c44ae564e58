// The local firmware store over HTTP (in-process drg serve, real sockets): push, list, show, content and delete;
// immutability; what a failed push leaves (nothing: no blob, no row, no temp file); roles; an application's
// deletion; a restart; hostile names. Its server side, info() and read(), for the firmware agent.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type FSWatcher, mkdirSync, readdirSync, statSync, watch, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { FirmwareStore } from '../../src/server-lite/firmware/store.js';
import { Registry } from '../../src/server-lite/registry/registry.js';
import { openStore } from '../../src/server-lite/store/db.js';
import { basic } from '../helpers/config.js';
import { openSocket, parseResponse, readUntilClosed } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REGISTRY = '/api/registry/v1alpha1';
const ADMIN = '/api/admin/v1alpha1';
const FIRMWARE = '/api/firmware/v1alpha1';

type Caller = (
  method: string,
  path: string,
  init?: { body?: string | Uint8Array; headers?: Record<string, string> },
) => Promise<Response>;

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const bytes = (text: string) => Buffer.from(text);
const images = (app: string) => `${FIRMWARE}/apps/${app}/images`;

/** Requests through node:http, whose paths go as they are written (fetch would resolve `%2E%2E` away). */
function callerFor(server: () => TestServer, authorization: string): Caller {
  return (method, path, init = {}) =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(server().url);
      const headers = { authorization, ...init.headers };
      const req = request({ hostname, port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]);
          const body = res.statusCode === 204 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status: res.statusCode, headers }));
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
}

/** PUT of an image with its checksum (or `checksum`), as application/octet-stream. */
function push(caller: Caller, app: string, name: string, version: string, data: Uint8Array, checksum = sha256(data)) {
  return caller('PUT', `${images(app)}/${name}/${version}`, {
    body: data,
    headers: { 'content-type': 'application/octet-stream', 'x-checksum': checksum },
  });
}

async function json<T = unknown>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  assert.equal(r.status, status, text);
  return JSON.parse(text) as T;
}

async function status(res: Response | Promise<Response>): Promise<number> {
  const r = await res;
  await r.arrayBuffer();
  return r.status;
}

/** What the firmware directory holds. */
const firmwareFiles = (dataDir: string) => readdirSync(join(dataDir, 'firmware')).sort();
const blobName = (data: Uint8Array) => sha256(data).slice('sha256:'.length);

async function createApp(caller: Caller, app: string): Promise<void> {
  const res = await caller('POST', `${REGISTRY}/apps`, {
    body: JSON.stringify({ metadata: { name: app } }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(await status(res), 201);
}

describe('one server', () => {
  let s: TestServer;
  const as: Record<string, Caller> = {};
  let run = 0;
  const newApp = async () => {
    const app = `fw-${++run}`;
    await createApp(as.admin, app);
    return app;
  };

  before(async () => {
    s = await startTestServer(undefined, { maxFirmwareSize: 64 * 1024 });
    as.admin = callerFor(() => s, s.authorization);
    for (const user of ['rita', 'manny', 'sam']) {
      s.server.users.ensure(user);
      as[user] = callerFor(() => s, basic(user, s.server.accessTokens.create(user).token));
    }
  });
  after(() => s.close());

  test('push, list, show, content and delete', async () => {
    const app = await newApp();
    const v1 = bytes('firmware one');
    const v2 = bytes('firmware two, longer');
    const other = bytes('the other image');
    const res = await push(as.admin, app, 'fw', '1.0.0', v1);
    assert.equal(res.headers.get('location'), `${images(app)}/fw/1.0.0`);
    const pushed = await json<Record<string, unknown>>(res, 201);
    assert.deepEqual(
      { ...pushed, created: undefined },
      {
        name: 'fw',
        version: '1.0.0',
        size: v1.length,
        checksum: sha256(v1),
        created: undefined,
      },
    );
    assert.ok(Math.abs(Date.parse(String(pushed.created)) - Date.now()) < 60_000);
    await json(push(as.admin, app, 'fw', '1.1.0', v2), 201);
    await json(push(as.admin, app, 'boot', '7', other), 201);

    const listed = await json<{ name: string; version: string; size: number }[]>(as.admin('GET', images(app)));
    assert.deepEqual(
      listed.map((i) => [i.name, i.version, i.size]),
      [
        ['boot', '7', other.length],
        ['fw', '1.1.0', v2.length],
        ['fw', '1.0.0', v1.length],
      ],
    );
    const versions = await json<{ version: string }[]>(as.admin('GET', `${images(app)}/fw`));
    assert.deepEqual(
      versions.map((i) => i.version),
      ['1.1.0', '1.0.0'],
    );
    assert.deepEqual(await json(as.admin('GET', `${images(app)}/fw/1.0.0`)), pushed);

    const content = await as.admin('GET', `${images(app)}/fw/1.1.0/content`);
    assert.equal(content.status, 200);
    assert.equal(content.headers.get('content-type'), 'application/octet-stream');
    assert.equal(content.headers.get('content-length'), String(v2.length));
    assert.equal(content.headers.get('x-checksum'), sha256(v2));
    assert.equal(content.headers.get('digest'), `sha-256=${createHash('sha256').update(v2).digest('base64')}`);
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), v2);

    const dir = join(s.dataDir, 'firmware');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, blobName(v1))).mode & 0o777, 0o600);

    assert.equal(await status(as.admin('DELETE', `${images(app)}/fw/1.0.0`)), 204);
    assert.equal(await status(as.admin('GET', `${images(app)}/fw/1.0.0`)), 404);
    assert.equal(await status(as.admin('GET', `${images(app)}/fw/1.0.0/content`)), 404);
    assert.equal(await status(as.admin('DELETE', `${images(app)}/fw/1.0.0`)), 404);
    assert.ok(!firmwareFiles(s.dataDir).includes(blobName(v1)), 'the blob of the deleted image is gone');
    assert.deepEqual(
      (await json<{ version: string }[]>(as.admin('GET', images(app)))).map((i) => i.version),
      ['7', '1.1.0'],
    );
    assert.equal(await status(as.admin('GET', `${images(app)}/nothing`)), 404);
    assert.deepEqual(await json(as.admin('GET', images(await newApp()))), []);
  });

  test('images are immutable: the same bytes again change nothing, other bytes are a 409 that says so', async () => {
    const app = await newApp();
    const data = bytes('version 2 of the firmware');
    const first = await json(push(as.admin, app, 'fw', '2', data), 201);
    assert.deepEqual(await json(push(as.admin, app, 'fw', '2', data), 200), first);
    const refused = await json<{ error: string; message: string }>(push(as.admin, app, 'fw', '2', bytes('other')), 409);
    assert.equal(refused.error, 'Conflict');
    assert.match(refused.message, /firmware "fw" version "2" .* exists with other content .*push a new version/);
    assert.deepEqual(await json(as.admin('GET', `${images(app)}/fw/2`)), first);
    const content = await as.admin('GET', `${images(app)}/fw/2/content`);
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), data);

    // The same bytes under another version (and in another application) are stored once.
    await json(push(as.admin, app, 'fw', '2-again', data), 201);
    await json(push(as.admin, await newApp(), 'copy', '1', data), 201);
    assert.equal(firmwareFiles(s.dataDir).filter((f) => f === blobName(data)).length, 1);
  });

  test('a checksum that does not match the bytes is a 400, and nothing is kept', async () => {
    const app = await newApp();
    const data = bytes('the bytes that arrive');
    const was = firmwareFiles(s.dataDir);
    const refused = await json<{ message: string }>(push(as.admin, app, 'fw', '1', data, sha256(bytes('others'))), 400);
    assert.match(refused.message, /checksum is sha256:[0-9a-f]{64}, not the x-checksum sent .*nothing was stored/);
    assert.equal(await status(as.admin('GET', `${images(app)}/fw/1`)), 404);
    assert.deepEqual(firmwareFiles(s.dataDir), was);
    // ... and then the right checksum works.
    await json(push(as.admin, app, 'fw', '1', data), 201);
  });

  test('an image over --max-firmware-size is a 413, declared or streamed, and nothing is kept', async () => {
    const app = await newApp();
    const big = Buffer.alloc(64 * 1024 + 1, 7);
    const was = firmwareFiles(s.dataDir);
    const declared = await json<{ error: string; message: string }>(push(as.admin, app, 'big', '1', big), 413);
    assert.equal(declared.error, 'PayloadTooLarge');
    assert.match(declared.message, /larger than 64 KiB \(drg serve --max-firmware-size\)/);
    // Without a Content-Length (chunked), the limit is found while the body streams.
    const streamed = await fetch(`${s.url}${images(app)}/big/1`, {
      method: 'PUT',
      headers: {
        authorization: s.authorization,
        'content-type': 'application/octet-stream',
        'x-checksum': sha256(big),
      },
      body: Readable.toWeb(Readable.from([big.subarray(0, 40_000), big.subarray(40_000)])) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    await streamed.arrayBuffer();
    assert.equal(await status(as.admin('GET', `${images(app)}/big/1`)), 404);
    assert.deepEqual(firmwareFiles(s.dataDir), was);
    await json(push(as.admin, app, 'big', '1', big.subarray(0, 64 * 1024)), 201);
  });

  /** A push over a socket of its own: the headers and the first `sent` bytes of `data` now, the rest on `finish`. */
  async function rawPush(app: string, name: string, data: Buffer, sent: number) {
    const socket = await openSocket(s.url);
    const reply = readUntilClosed(socket);
    socket.write(
      `PUT ${images(app)}/${name}/1 HTTP/1.1\r\nHost: x\r\nAuthorization: ${s.authorization}\r\nConnection: close\r\n` +
        `Content-Type: application/octet-stream\r\nX-Checksum: ${sha256(data)}\r\nContent-Length: ${data.length}\r\n\r\n`,
    );
    socket.write(data.subarray(0, sent));
    return {
      socket,
      finish: async () => {
        socket.write(data.subarray(sent));
        return parseResponse(await reply);
      },
    };
  }

  const uploads = (files: string[]) => files.filter((f) => f.startsWith('.upload-')).length;

  test('an upload cut short (the client gone mid-body) leaves nothing', { timeout: 10_000 }, async () => {
    const app = await newApp();
    const was = firmwareFiles(s.dataDir);
    const dir = join(s.dataDir, 'firmware');
    const started = waitForFiles(dir, (files) => uploads(files) === 1);
    const { socket } = await rawPush(app, 'fw', Buffer.alloc(50_000, 1), 20_000);
    await started;
    const cleaned = waitForFiles(dir, (files) => files.join() === was.join());
    socket.destroy();
    await cleaned;
    assert.equal(await status(as.admin('GET', `${images(app)}/fw/1`)), 404);
  });

  test('two pushes of one version at once: the first to arrive is stored, the other is a 409', {
    timeout: 10_000,
  }, async () => {
    const app = await newApp();
    const was = firmwareFiles(s.dataDir);
    const dir = join(s.dataDir, 'firmware');
    const [one, two] = [Buffer.alloc(50_000, 1), Buffer.alloc(50_000, 2)];
    const bothStreaming = waitForFiles(dir, (files) => uploads(files) === 2);
    const first = await rawPush(app, 'raced', one, 20_000);
    const second = await rawPush(app, 'raced', two, 20_000);
    await bothStreaming;
    const firstAnswer = await first.finish();
    const secondAnswer = await second.finish();
    assert.equal(firstAnswer.status, 201, firstAnswer.body);
    assert.equal(secondAnswer.status, 409, secondAnswer.body);
    assert.match(secondAnswer.body, /exists with other content/);
    const stored = await as.admin('GET', `${images(app)}/raced/1/content`);
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), one);
    assert.deepEqual(firmwareFiles(s.dataDir), [...was, blobName(one)].sort(), "the loser's bytes are not kept");
  });

  test('roles: readers read, managers push and delete, strangers get what the registry gives them', async () => {
    const app = await newApp();
    const roles = { manny: { role: 'manager' }, rita: { role: 'reader' } };
    const put = await as.admin('PUT', `${ADMIN}/apps/${app}/members`, {
      body: JSON.stringify({ members: roles }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(await status(put), 204);
    const data = bytes('shared firmware');
    await json(push(as.admin, app, 'fw', '1', data), 201);

    assert.equal((await json<unknown[]>(as.rita('GET', images(app)))).length, 1);
    await json(as.rita('GET', `${images(app)}/fw/1`));
    assert.deepEqual(Buffer.from(await (await as.rita('GET', `${images(app)}/fw/1/content`)).arrayBuffer()), data);
    const refused = await json<{ message: string }>(push(as.rita, app, 'fw', '2', data), 403);
    assert.match(refused.message, /reader of application/);
    assert.equal(await status(as.rita('DELETE', `${images(app)}/fw/1`)), 403);

    await json(push(as.manny, app, 'fw', '2', bytes('by the manager')), 201);
    assert.equal(await status(as.manny('DELETE', `${images(app)}/fw/2`)), 204);

    for (const path of [images(app), `${images(app)}/fw`, `${images(app)}/fw/1`, `${images(app)}/fw/1/content`]) {
      assert.equal(await status(as.sam('GET', path)), 403, path);
    }
    assert.equal(await status(push(as.sam, app, 'fw', '3', data)), 403);
    assert.equal(await status(as.sam('DELETE', `${images(app)}/fw/1`)), 403);
    assert.equal(await status(as.admin('GET', images('no-such-app'))), 404);
    assert.equal(await status(push(as.admin, 'no-such-app', 'fw', '1', data)), 404);
    const anonymous = await fetch(`${s.url}${images(app)}`);
    assert.equal(await status(anonymous), 401);
  });

  test('hostile names and versions are a 400, as are a missing checksum and a wrong content type', async () => {
    const app = await newApp();
    const data = bytes('x');
    const long = 'a'.repeat(129);
    for (const [name, version] of [
      ['%2E%2E', '1'],
      ['.', '1'],
      ['fw', '%2E%2E'],
      ['a%2Fb', '1'],
      ['fw', '1%2F2'],
      ['a%5Cb', '1'],
      ['with%20space', '1'],
      ['fw', 'line%0Abreak'],
      ['fw', '%C3%A9'],
      [long, '1'],
      ['fw', long],
    ]) {
      const res = await push(as.admin, app, name, version, data);
      assert.equal(res.status, 400, `${name} ${version}`);
      assert.match(((await res.json()) as { message: string }).message, /firmware (name|version)/);
      assert.equal(await status(as.admin('GET', `${images(app)}/${name}/${version}`)), 400);
    }
    assert.match(
      (await json<{ message: string }>(push(as.admin, app, 'fw', '', data), 400)).message,
      /must not be empty/,
    );
    assert.equal(await status(push(as.admin, app, 'a'.repeat(128), 'v'.repeat(128), data)), 201);

    const checksums = ['', 'sha256:abc', `md5:${'0'.repeat(64)}`];
    for (const checksum of checksums) assert.equal(await status(push(as.admin, app, 'fw', '1', data, checksum)), 400);
    const untyped = await as.admin('PUT', `${images(app)}/fw/1`, {
      body: data,
      headers: { 'x-checksum': sha256(data) },
    });
    assert.equal(untyped.status, 415);
    assert.match(((await untyped.json()) as { message: string }).message, /application\/octet-stream/);
    const empty = await json<{ message: string }>(push(as.admin, app, 'fw', '1', Buffer.alloc(0)), 400);
    assert.match(empty.message, /the image is empty/);
    assert.deepEqual(await json(as.admin('GET', images(app))), [
      await json(as.admin('GET', `${images(app)}/${'a'.repeat(128)}/${'v'.repeat(128)}`)),
    ]);
  });
});

test('deleting an application deletes its images, and the blobs no other image shares', async () => {
  const s = await startTestServer();
  const admin = callerFor(() => s, s.authorization);
  await createApp(admin, 'doomed');
  await createApp(admin, 'kept');
  const own = bytes('only the doomed app has this');
  const shared = bytes('both apps have this');
  await json(push(admin, 'doomed', 'fw', '1', own), 201);
  await json(push(admin, 'doomed', 'fw', '2', shared), 201);
  await json(push(admin, 'kept', 'fw', '1', shared), 201);
  assert.equal(await status(admin('DELETE', `${REGISTRY}/apps/doomed`)), 204);
  await createApp(admin, 'doomed');
  assert.deepEqual(await json(admin('GET', images('doomed'))), []);
  // Stopping waits for the collection the deletion started.
  await s.close();
  assert.deepEqual(firmwareFiles(s.dataDir), [blobName(shared)]);
});

test('a restart keeps the images, and removes what an interrupted push left', async () => {
  const first = await startTestServer();
  const admin = callerFor(() => first, first.authorization);
  await createApp(admin, 'app');
  const data = bytes('survives restarts');
  const pushed = await json(push(admin, 'app', 'fw', '1', data), 201);
  await first.close();
  const dir = join(first.dataDir, 'firmware');
  writeFileSync(join(dir, '.upload-left-by-a-crash'), 'partial');
  writeFileSync(join(dir, 'f'.repeat(64)), 'a blob no image names');

  const second = await startTestServer(first.dataDir);
  try {
    const again = callerFor(() => second, second.authorization);
    assert.deepEqual(await json(again('GET', `${images('app')}/fw/1`)), pushed);
    const content = await again('GET', `${images('app')}/fw/1/content`);
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), data);
    assert.deepEqual(firmwareFiles(first.dataDir), [blobName(data)]);
  } finally {
    await second.close();
  }
});

test('the agent side: info() is the image or the newest version, read() its bytes', async () => {
  const dataDir = tempDir('drg-firmware-');
  const db = openStore(dataDir);
  const dir = join(dataDir, 'firmware');
  mkdirSync(dir);
  try {
    const registry = new Registry(db);
    const caller = { user: 'alice' };
    registry.applications.create(caller, { metadata: { name: 'app' } });
    const store = new FirmwareStore(db, registry, dir, 1024);
    const pushed = async (version: string, data: Buffer) =>
      (
        await store.push(caller, {
          app: 'app',
          name: 'fw',
          version,
          checksum: sha256(data),
          body: Readable.from([data]),
        })
      ).info;
    const old = await pushed('1.10.0', bytes('old'));
    const newest = await pushed('1.9.0', bytes('pushed last'));
    assert.equal(store.info('app', 'fw')?.version, '1.9.0', 'newest pushed, not highest');
    assert.deepEqual(store.info('app', 'fw', '1.10.0'), old);
    assert.deepEqual(store.info('app', 'fw', '1.9.0'), newest);
    assert.equal(store.info('app', 'fw', '3'), undefined);
    assert.equal(store.info('app', 'other'), undefined);
    assert.equal(store.info('no-app', 'fw'), undefined);
    assert.deepEqual(await store.read('app', 'fw', '1.10.0'), bytes('old'));
    await assert.rejects(store.read('app', 'fw', '3'), /no firmware "fw" version "3"/);
  } finally {
    db.close();
  }
});

/** Resolves once the directory's entries satisfy `ready` (checked now and on every change). */
function waitForFiles(dir: string, ready: (files: string[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const check = () => {
      if (!ready(readdirSync(dir).sort())) return;
      watcher?.close();
      resolve();
    };
    watcher = watch(dir, check);
    check();
  });
}
