// The HTTP device endpoint and the command API over real sockets (in-process drg serve): CloudEvents as the log
// gets them, credentials, gateways, limits, `ct` and commands.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { encrypt } from 'unixcrypt';
import { basic } from '../helpers/config.js';
import { type RecordedEvents, recordEvents } from '../helpers/events.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REGISTRY = '/api/registry/v1alpha1';
const MAX_PAYLOAD = 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let s: TestServer;
let events: RecordedEvents;
const uids: Record<string, string> = {};

async function create(path: string, body: unknown) {
  const res = await s.call('POST', `${REGISTRY}${path}`, body);
  assert.equal(res.status, 201, await res.text());
}

async function uidOf(path: string): Promise<string> {
  return (await (await s.call('GET', `${REGISTRY}${path}`)).json()).metadata.uid;
}

const pass = (password: unknown) => ({ authentication: { credentials: [{ pass: password }] } });

before(async () => {
  s = await startTestServer(undefined, { maxPayload: MAX_PAYLOAD });
  await create('/apps', { metadata: { name: 'app1' } });
  const devices: Record<string, Record<string, unknown>> = {
    d1: pass('secret'),
    'with space/ü': pass('secret'),
    hashed: pass({ bcrypt: bcrypt.hashSync('secret', 4) }),
    crypted: pass({ sha512: encrypt('secret') }),
    off: { ...pass('secret'), core: { disabled: true } },
    joe: { authentication: { credentials: [{ user: { username: 'joe', password: 'pw' } }] } },
    gw: pass('secret'),
    behind: { gatewaySelector: { matchNames: ['gw'] } },
    alone: {},
  };
  for (const [name, spec] of Object.entries(devices)) {
    await create('/apps/app1/devices', { metadata: { name, application: 'app1' }, spec });
  }
  uids.app1 = await uidOf('/apps/app1');
  for (const name of ['d1', 'gw', 'behind']) uids[name] = await uidOf(`/apps/app1/devices/${name}`);
  events = recordEvents(s.server.events, 'app1');
});
after(async () => {
  events.close();
  await s.close();
});

function publish(path: string, opts: { auth?: string; body?: string | Buffer; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.auth !== undefined) headers.authorization = opts.auth;
  if (opts.type !== undefined) headers['content-type'] = opts.type;
  // Bytes, not a string: fetch would give a string the content type text/plain.
  return fetch(`${s.url}${path}`, { method: 'POST', headers, body: Buffer.from(opts.body ?? '') });
}

const device = (name: string, password = 'secret') => basic(`${name}@app1`, password);

describe('events', () => {
  test('a JSON message becomes a CloudEvent with Drogue extensions, acknowledged with 202', async () => {
    const res = await publish('/v1/telemetry', { auth: device('d1'), body: '{"temp":21.5}', type: 'application/json' });
    assert.equal(res.status, 202);
    const event = await events.next();
    assert.match(event.id, UUID);
    assert.ok(Math.abs(Date.parse(event.time) - Date.now()) < 60_000);
    assert.deepEqual(
      { ...event, id: undefined, time: undefined, instance: undefined },
      {
        specversion: '1.0',
        id: undefined,
        type: 'io.drogue.event.v1',
        source: 'drogue://app1/d1',
        subject: 'telemetry',
        time: undefined,
        datacontenttype: 'application/json',
        data: { temp: 21.5 },
        application: 'app1',
        device: 'd1',
        applicationuid: uids.app1,
        deviceuid: uids.d1,
        sender: 'd1',
        senderuid: uids.d1,
        instance: undefined,
        partitionkey: 'app1/d1',
      },
    );
    assert.ok(event.instance.length > 0);
  });

  test('the suffix is ignored; names are percent-encoded in source and partitionkey', async () => {
    const res = await publish('/v1/state/a/b', { auth: device('with space/ü'), body: '1' });
    assert.equal(res.status, 202);
    const event = await events.next();
    assert.equal(event.subject, 'state');
    assert.equal(event.source, 'drogue://app1/with%20space%2F%C3%BC');
    assert.equal(event.partitionkey, 'app1/with%20space%2F%C3%BC');
    assert.equal(event.datacontenttype, 'application/json', 'no content type, but the payload parses');
  });

  test('a binary payload travels as data_base64 with its content type; data_schema is kept', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    let res = await publish('/v1/raw?data_schema=urn%3Ax', { auth: device('d1'), body: bytes, type: 'image/png' });
    assert.equal(res.status, 202);
    let event = await events.next();
    assert.equal(event.datacontenttype, 'image/png');
    assert.equal(event.data_base64, bytes.toString('base64'));
    assert.equal(event.data, undefined);
    assert.equal(event.dataschema, 'urn:x');
    res = await publish('/v1/raw', { auth: device('d1'), body: 'not json' });
    assert.equal(res.status, 202);
    event = await events.next();
    assert.equal(event.datacontenttype, 'application/octet-stream');
    assert.equal(Buffer.from(event.data_base64!, 'base64').toString(), 'not json');
  });

  test('a payload declared as JSON that does not parse is 406, and nothing is logged', async () => {
    const before = events.events.length;
    const res = await publish('/v1/telemetry', { auth: device('d1'), body: '{"temp":', type: 'application/json' });
    assert.equal(res.status, 406);
    assert.match((await res.json()).message, /not valid JSON/);
    assert.equal((await publish('/v1/ok', { auth: device('d1'), body: '2' })).status, 202);
    assert.equal((await events.next()).subject, 'ok');
    assert.equal(events.events.length, before + 1);
  });

  test(`a payload over --max-payload (${MAX_PAYLOAD} bytes) is 413; one at the limit passes`, async () => {
    let res = await publish('/v1/big', { auth: device('d1'), body: Buffer.alloc(MAX_PAYLOAD + 1, 'a') });
    assert.equal(res.status, 413);
    assert.match((await res.json()).message, /--max-payload/);
    res = await publish('/v1/big', { auth: device('d1'), body: Buffer.alloc(MAX_PAYLOAD, 'a') });
    assert.equal(res.status, 202);
    assert.equal((await events.next()).subject, 'big');
  });
});

describe('credentials', () => {
  test('plain, bcrypt and sha512-crypt passwords: right → 202, wrong → 403', async () => {
    for (const name of ['d1', 'hashed', 'crypted']) {
      assert.equal((await publish('/v1/t', { auth: device(name), body: '1' })).status, 202, name);
      assert.equal((await events.next()).device, name);
      assert.equal((await publish('/v1/t', { auth: device(name, 'wrong'), body: '1' })).status, 403, name);
    }
  });

  test('no credentials, a user name without @app, a missing device: 403', async () => {
    assert.equal((await publish('/v1/t', { body: '1' })).status, 403);
    assert.equal((await publish('/v1/t', { auth: basic('d1', 'secret'), body: '1' })).status, 403);
    assert.equal((await publish('/v1/t', { auth: device('nobody'), body: '1' })).status, 403);
  });

  test('a disabled device is 406', async () => {
    assert.equal((await publish('/v1/t', { auth: device('off'), body: '1' })).status, 406);
  });

  test('user credentials with ?application=', async () => {
    let res = await publish('/v1/t?application=app1', { auth: basic('joe', 'pw'), body: '1' });
    assert.equal(res.status, 202);
    assert.equal((await events.next()).device, 'joe');
    res = await publish('/v1/t?application=app1', { auth: basic('joe', 'nope'), body: '1' });
    assert.equal(res.status, 403);
  });

  test('a gateway publishes for a device that lists it (?as=), not for others', async () => {
    let res = await publish('/v1/t?as=behind', { auth: device('gw'), body: '1' });
    assert.equal(res.status, 202);
    const event = await events.next();
    assert.deepEqual(
      [event.device, event.deviceuid, event.sender, event.senderuid, event.partitionkey],
      ['behind', uids.behind, 'gw', uids.gw, 'app1/gw'],
    );
    res = await publish('/v1/t?as=alone', { auth: device('gw'), body: '1' });
    assert.equal(res.status, 403);
    res = await publish('/v1/t?as=behind', { auth: device('d1'), body: '1' });
    assert.equal(res.status, 403);
  });
});

describe('commands', () => {
  const command = (device: string, name: string | undefined, body = '{"on":true}', type = 'application/json') =>
    fetch(
      `${s.url}/api/command/v1alpha1/apps/app1/devices/${encodeURIComponent(device)}${name ? `?command=${name}` : ''}`,
      {
        method: 'POST',
        headers: { authorization: s.authorization, 'content-type': type },
        body,
      },
    );

  test('a device waiting with ?ct= gets the command: 200, the command header, the payload and its type', async () => {
    const waiting = publish('/v1/t?ct=10', { auth: device('d1'), body: '1' });
    // The request waits from before its event is appended, so once the event is out, a command reaches it.
    await events.next();
    const sent = await command('d1', 'set-light', 'on', 'text/plain');
    assert.equal(sent.status, 202);
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('command'), 'set-light');
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await res.text(), 'on');
  });

  test('without a command within ct: 202', async () => {
    const res = await publish('/v1/t?ct=1', { auth: device('d1'), body: '1' });
    assert.equal(res.status, 202);
    await events.next();
  });

  test("a gateway waiting for a device behind it gets that device's commands", async () => {
    const waiting = publish('/v1/t?as=behind&ct=10', { auth: device('gw'), body: '1' });
    await events.next();
    assert.equal((await command('behind', 'reboot')).status, 202);
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('command'), 'reboot');
    assert.deepEqual(await res.json(), { on: true });
  });

  test(`a command payload over --max-payload (${MAX_PAYLOAD} bytes) is 413, saying so`, async () => {
    const res = await command('d1', 'big', 'a'.repeat(MAX_PAYLOAD + 1), 'text/plain');
    assert.equal(res.status, 413);
    assert.match((await res.json()).message, new RegExp(`larger than ${MAX_PAYLOAD} bytes \\(--max-payload\\)`));
    assert.equal((await command('d1', 'fits', 'a'.repeat(MAX_PAYLOAD), 'text/plain')).status, 202);
  });

  test('406 for a missing or disabled device or application; 400 without a command; 403 for a stranger', async () => {
    assert.equal((await command('nobody', 'x')).status, 406);
    assert.equal((await command('off', 'x')).status, 406);
    const res = await fetch(`${s.url}/api/command/v1alpha1/apps/nope/devices/d1?command=x`, {
      method: 'POST',
      headers: { authorization: s.authorization },
      body: '',
    });
    assert.equal(res.status, 406);
    assert.equal((await command('d1', undefined)).status, 400);
    s.server.users.ensure('mallory');
    const { token } = s.server.accessTokens.create('mallory', 'test');
    const stranger = await fetch(`${s.url}/api/command/v1alpha1/apps/app1/devices/d1?command=x`, {
      method: 'POST',
      headers: { authorization: basic('mallory', token) },
      body: '',
    });
    assert.equal(stranger.status, 403);
  });
});
