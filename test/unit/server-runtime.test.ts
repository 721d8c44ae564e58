// drg serve's runtime: components started in order and stopped in reverse, with health states; the HTTP listener
// holds requests until every component is ready; a failed start stops what had started and names the component.
import assert from 'node:assert/strict';
import { Agent, get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { HttpListener } from '../../src/server-lite/http/listener.js';
import { RateLimitedLog } from '../../src/server-lite/log-limit.js';
import { type Component, ComponentStartError, type Health, Runtime } from '../../src/server-lite/runtime.js';
import { startServer } from '../../src/server-lite/server.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer } from '../helpers/server.js';

/** A component that records its lifecycle, and what the runtime reported while it ran. */
class Recorder implements Component {
  constructor(
    readonly name: string,
    protected readonly log: string[],
    private readonly runtime: () => Runtime,
    private readonly failOn?: 'start' | 'stop',
  ) {}

  start(): void {
    this.log.push(`start ${this.name} (${states(this.runtime().health())})`);
    if (this.failOn === 'start') throw new Error(`${this.name} broke\nsecond line`);
  }

  stop(): void {
    this.log.push(`stop ${this.name} (${states(this.runtime().health())})`);
    if (this.failOn === 'stop') throw new Error(`${this.name} would not stop`);
  }
}

class Opener extends Recorder {
  open(): void {
    this.log.push(`open ${this.name}`);
  }

  close(): void {
    this.log.push(`close ${this.name}`);
  }
}

function states(health: Health): string {
  return health.components.map((c) => `${c.name}=${c.state}`).join(' ');
}

test('components start in order, open once all are ready, and close and stop in reverse', async () => {
  const log: string[] = [];
  const runtime: Runtime = new Runtime([
    new Recorder('a', log, () => runtime),
    new Opener('b', log, () => runtime),
    new Recorder('c', log, () => runtime),
  ]);
  assert.equal(runtime.health().status, 'stopped');
  await runtime.start();
  assert.deepEqual(runtime.health(), {
    status: 'ready',
    components: ['a', 'b', 'c'].map((name) => ({ name, state: 'ready' })),
  });
  await runtime.stop();
  await runtime.stop();
  assert.deepEqual(log, [
    'start a (a=starting b=starting c=starting)',
    'start b (a=ready b=starting c=starting)',
    'start c (a=ready b=ready c=starting)',
    'open b',
    'close b',
    'stop c (a=stopping b=stopping c=stopping)',
    'stop b (a=stopping b=stopping c=stopped)',
    'stop a (a=stopping b=stopped c=stopped)',
  ]);
  assert.deepEqual(runtime.health(), {
    status: 'stopped',
    components: ['a', 'b', 'c'].map((name) => ({ name, state: 'stopped' })),
  });
});

test('a component that fails to start: the started ones stop in reverse, the error names it in one line', async () => {
  const log: string[] = [];
  const runtime: Runtime = new Runtime([
    new Opener('a', log, () => runtime),
    new Recorder('b', log, () => runtime),
    new Recorder('c', log, () => runtime, 'start'),
    new Recorder('d', log, () => runtime),
  ]);
  await assert.rejects(runtime.start(), (err: unknown) => {
    assert.ok(err instanceof ComponentStartError);
    assert.equal(err.component, 'c');
    assert.equal(err.message, 'cannot start c: c broke');
    return true;
  });
  assert.deepEqual(log, [
    'start a (a=starting b=starting c=starting d=starting)',
    'start b (a=ready b=starting c=starting d=starting)',
    'start c (a=ready b=ready c=starting d=starting)',
    'close a',
    'stop b (a=stopping b=stopping c=failed d=stopped)',
    'stop a (a=stopping b=stopped c=failed d=stopped)',
  ]);
  assert.deepEqual(runtime.health(), {
    status: 'failed',
    components: [
      { name: 'a', state: 'stopped' },
      { name: 'b', state: 'stopped' },
      { name: 'c', state: 'failed' },
      { name: 'd', state: 'stopped' },
    ],
  });
});

test('a component that fails to stop is logged and marked failed; the others stop all the same', async () => {
  const log: string[] = [];
  const errors: object[] = [];
  const logger = { debug: () => {}, error: (obj: object) => errors.push(obj) };
  const runtime: Runtime = new Runtime(
    [new Recorder('a', log, () => runtime), new Recorder('b', log, () => runtime, 'stop')],
    logger,
  );
  await runtime.start();
  await runtime.stop();
  assert.deepEqual(
    log.filter((l) => l.startsWith('stop')).map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['stop b', 'stop a'],
  );
  assert.deepEqual(errors, [{ component: 'b', error: 'b would not stop' }]);
  assert.deepEqual(
    runtime.health().components.map((c) => c.state),
    ['stopped', 'failed'],
  );
});

test('discovery advertises what the ready components serve', async () => {
  const serving = (name: string, endpoints: object): Component => ({
    name,
    start: () => {},
    stop: () => {},
    endpoints: () => endpoints,
  });
  const runtime = new Runtime([
    serving('api', { api: 'http://x' }),
    { name: 'quiet', start: () => {}, stop: () => {} },
    serving('mqtt', { mqtt: { host: 'x', port: 1883 } }),
  ]);
  assert.deepEqual(runtime.endpoints(), {});
  await runtime.start();
  assert.deepEqual(runtime.endpoints(), { api: 'http://x', mqtt: { host: 'x', port: 1883 } });
});

function request(url: string): Promise<{ status?: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

test('the HTTP listener holds requests until every component is ready; /health answers at once', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let isReleased = false;
  const listener: HttpListener = new HttpListener({
    port: 0,
    bind: '127.0.0.1',
    health: () => runtime.health(),
    log: new RateLimitedLog(pino({ level: 'silent' })),
  });
  let listening!: () => void;
  const bound = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const slow: Component = {
    name: 'slow',
    start: async () => {
      listening();
      await released;
      isReleased = true;
      listener.attach((req, res) => res.end(`answered ${req.url} after the release: ${isReleased}`));
    },
    stop: () => {},
  };
  const runtime: Runtime = new Runtime([listener, slow]);
  const started = runtime.start();
  await bound;

  const received = new Promise<void>((resolve) => listener.server.once('request', () => resolve()));
  const held = request(`${listener.url}/anything`);
  await received;
  const health = await request(`${listener.url}/health`);
  assert.equal(health.status, 503);
  assert.deepEqual(JSON.parse(health.body), {
    status: 'starting',
    components: [
      { name: 'http-listener', state: 'ready' },
      { name: 'slow', state: 'starting' },
    ],
  });

  release();
  await started;
  assert.deepEqual(await held, { status: 200, body: 'answered /anything after the release: true' });
  assert.equal((await request(`${listener.url}/health`)).status, 200);
  await runtime.stop();
});

// Without closing it, the idle connection would keep the stop waiting for the keep-alive timeout.
test('closing lets a request in flight finish, then closes its keep-alive connection', {
  timeout: 20_000,
}, async () => {
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => {
    answer = resolve;
  });
  const listener: HttpListener = new HttpListener({
    port: 0,
    bind: '127.0.0.1',
    health: () => runtime.health(),
    log: new RateLimitedLog(pino({ level: 'silent' })),
  });
  listener.attach((_req, res) => {
    void answered.then(() => res.end('done'));
  });
  const runtime: Runtime = new Runtime([listener]);
  await runtime.start();
  const agent = new Agent({ keepAlive: true });
  try {
    const received = new Promise<void>((resolve) => listener.server.once('request', () => resolve()));
    const response = new Promise<string>((resolve, reject) => {
      get(`${listener.url}/slow`, { agent }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    await received;
    const stopped = runtime.stop();
    answer();
    assert.equal(await response, 'done');
    await stopped;
  } finally {
    agent.destroy();
  }
});

test('drg serve: a component that fails to start names itself, and what had started is released', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as { port: number };
  const dataDir = join(tempDir('drg-runtime-'), 'data');
  const logger = pino({ level: 'silent' });
  try {
    await assert.rejects(startServer({ port, bind: '127.0.0.1', dataDir, logger }), (err: unknown) => {
      assert.ok(err instanceof ComponentStartError);
      assert.equal(err.component, 'http-listener');
      assert.equal(err.reason, 'address-in-use');
      assert.equal(err.message, `port ${port} on 127.0.0.1 is already in use`);
      return true;
    });
  } finally {
    blocker.close();
  }
  // The store had started: its lock is released, so the data directory can be used right away.
  const s = await startTestServer(dataDir);
  try {
    assert.equal(s.server.health().status, 'ready');
  } finally {
    await s.close();
  }
});

test('drg serve: GET /health lists every component, anonymously', async () => {
  const s = await startTestServer();
  try {
    const res = await fetch(`${s.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      status: 'ready',
      components: [
        'store',
        'http-listener',
        'identity',
        'registry',
        'firmware-store',
        'events',
        'devices',
        'http-api',
        'websocket-integration',
        'firmware-agent',
        'accounts',
      ].map((name) => ({
        name,
        state: 'ready',
      })),
    });
  } finally {
    await s.close();
  }
});
