import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Encoder } from 'cbor-x';
import {
  type DfuCommand,
  DfuDecodeError,
  type DfuEncoding,
  decodeCommand,
  decodeStatus,
  encodeCommand,
  encodeStatus,
} from '../../src/dfu/codec.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const encodings: DfuEncoding[] = ['packed', 'named', 'json'];
const checksum = createHash('sha256').update('firmware').digest();

test('packed Status{version "0.1.0", mtu 512} is the byte sequence of DFU.md, and decodes back', () => {
  const golden = hex('a4 00 45 302e312e30 01 19 0200 02 f6 03 f6');
  const { payload, contentType } = encodeStatus({ version: '0.1.0', mtu: 512 }, 'packed');
  assert.equal(payload.toString('hex'), golden.toString('hex'));
  assert.equal(contentType, 'application/cbor');
  assert.deepEqual(decodeStatus(golden, 'application/cbor'), {
    status: { version: '0.1.0', mtu: 512 },
    encoding: 'packed',
  });
});

test('packed Wait{poll 300} is the byte sequence of DFU.md, and decodes back', () => {
  const golden = hex('a1 00 a2 00 f6 01 19 012c');
  const { payload, contentType } = encodeCommand({ op: 'wait', poll: 300 }, 'packed');
  assert.equal(payload.toString('hex'), golden.toString('hex'));
  assert.equal(contentType, 'application/cbor');
  assert.deepEqual(decodeCommand(golden), { command: { op: 'wait', poll: 300 }, encoding: 'packed' });
});

test('packed maps are integer-keyed Maps of byte strings on the wire, never cbor-x records', () => {
  const { payload } = encodeCommand({ op: 'write', version: '1.0', offset: 7, data: Uint8Array.of(1, 2) }, 'packed');
  const decoded = cbor.decode(payload) as Map<number, Map<number, unknown>>;
  assert.deepEqual([...decoded.keys()], [2]);
  const fields = decoded.get(2);
  assert.ok(fields instanceof Map);
  assert.deepEqual([...fields.keys()], [0, 1, 2, 3]);
  assert.deepEqual(Buffer.from(fields.get(0) as Uint8Array), Buffer.from('1.0'));
  assert.equal(fields.get(1), null);
  // A byte string of 2 (0x42), not tag 64 (a typed array) or a record tag.
  assert.ok(payload.includes(hex('42 0102')));
  assert.ok(!payload.includes(hex('d8 40')));
});

const commands: DfuCommand[] = [
  { op: 'wait' },
  { op: 'wait', poll: 0 },
  { op: 'wait', correlationId: 7, poll: 300 },
  { op: 'sync', version: '1.2.3' },
  { op: 'sync', version: '1.2.3', correlationId: 4_294_967_295, poll: 60 },
  { op: 'write', version: '2.0.0', offset: 0, data: new Uint8Array(0) },
  { op: 'write', version: '2.0.0', correlationId: 1, offset: 512, data: Uint8Array.from({ length: 512 }, (_, i) => i) },
  { op: 'swap', version: '2.0.0', checksum },
  { op: 'swap', version: 'ünïcode', correlationId: 9, checksum },
];

for (const encoding of encodings) {
  test(`every command round-trips in the ${encoding} encoding`, () => {
    for (const command of commands) {
      const { payload, contentType } = encodeCommand(command, encoding);
      const decoded = decodeCommand(payload, contentType);
      assert.equal(decoded.encoding, encoding);
      assert.deepEqual(normalize(decoded.command), normalize(command), `${command.op} ${encoding}`);
      // MQTT 3.1.1 carries no content type: the bytes alone tell the encoding.
      assert.equal(decodeCommand(payload).encoding, encoding);
    }
  });

  test(`statuses round-trip in the ${encoding} encoding`, () => {
    const statuses = [
      { version: '0.1.0' },
      { version: '0.1.0', mtu: 1024, correlationId: 3 },
      { version: '0.1.0', mtu: 512, update: { version: '0.2.0', offset: 4_294_967_295 } },
    ];
    for (const status of statuses) {
      const { payload, contentType } = encodeStatus(status, encoding);
      assert.deepEqual(decodeStatus(payload, contentType), { status, encoding });
      assert.deepEqual(decodeStatus(payload), { status, encoding });
    }
  });
}

/** Byte arrays compared as Buffers (decoded ones may be views into the payload). */
function normalize(command: DfuCommand) {
  if (command.op === 'write') return { ...command, data: Buffer.from(command.data) };
  if (command.op === 'swap') return { ...command, checksum: Buffer.from(command.checksum) };
  return command;
}

test("the named forms are the seed's: op names, snake_case, versions as text, JSON data base64 and checksum hex", () => {
  const data = Buffer.from('hello');
  const write = JSON.parse(encodeCommand({ op: 'write', version: '1', offset: 5, data }, 'json').payload.toString());
  assert.deepEqual(write, { op: 'WRITE', version: '1', offset: 5, size: 5, data: data.toString('base64') });
  const swap = JSON.parse(
    encodeCommand({ op: 'swap', version: '1', correlationId: 2, checksum }, 'json').payload.toString(),
  );
  assert.deepEqual(swap, { op: 'SWAP', version: '1', correlation_id: 2, checksum: checksum.toString('hex') });
  const named = cbor.decode(encodeCommand({ op: 'sync', version: '1', poll: 5 }, 'named').payload);
  assert.deepEqual(
    named,
    new Map<string, unknown>([
      ['op', 'SYNC'],
      ['version', '1'],
      ['poll', 5],
    ]),
  );
  const status = encodeStatus({ version: '1', correlationId: 3, update: { version: '2', offset: 0 } }, 'json');
  assert.equal(status.contentType, 'application/json');
  assert.deepEqual(JSON.parse(status.payload.toString()), {
    version: '1',
    correlation_id: 3,
    update: { version: '2', offset: 0 },
  });
});

test('the named status field is the same as update, in CBOR and in JSON', () => {
  const seed = Buffer.from('{"version":"0.1.0","mtu":512,"status":{"version":"0.2.0","offset":1024}}');
  const expected = { version: '0.1.0', mtu: 512, update: { version: '0.2.0', offset: 1024 } };
  assert.deepEqual(decodeStatus(seed, 'application/json'), { status: expected, encoding: 'json' });
  assert.deepEqual(decodeStatus(seed), { status: expected, encoding: 'json' });
  const namedCbor = cbor.encode(
    new Map<string, unknown>([
      ['version', '0.1.0'],
      ['mtu', 512],
      [
        'status',
        new Map<string, unknown>([
          ['version', '0.2.0'],
          ['offset', 1024],
        ]),
      ],
    ]),
  );
  assert.deepEqual(decodeStatus(namedCbor, 'application/cbor'), { status: expected, encoding: 'named' });
  assert.throws(
    () =>
      decodeStatus(
        Buffer.from('{"version":"1","update":{"version":"2","offset":0},"status":{"version":"2","offset":0}}'),
      ),
    { name: 'DfuDecodeError', message: /update and status/ },
  );
});

test("serde's named CBOR (byte-string versions, nulls for absent optionals) decodes too", () => {
  const serde = cbor.encode(
    new Map<string, unknown>([
      ['version', Buffer.from('0.1.0')],
      ['mtu', null],
      ['correlation_id', null],
      [
        'update',
        new Map<string, unknown>([
          ['version', Buffer.from('0.2.0')],
          ['offset', 0],
        ]),
      ],
    ]),
  );
  assert.deepEqual(decodeStatus(serde).status, { version: '0.1.0', update: { version: '0.2.0', offset: 0 } });
});

const hostile: [string, Buffer, string | undefined, RegExp][] = [
  ['an empty payload', Buffer.alloc(0), 'application/cbor', /empty/],
  ['truncated CBOR', hex('a4 00 45 302e31'), 'application/cbor', /truncated CBOR/],
  ['truncated CBOR without a content type', hex('a4 00 45 302e312e30 01 19 02'), undefined, /truncated CBOR/],
  ['bytes after the message', hex('a1 00 45 302e312e30 00'), undefined, /bytes after/],
  ['a CBOR array', hex('82 01 02'), undefined, /expected a CBOR map, got an array/],
  ['a JSON array', Buffer.from('[{"version":"1"}]'), undefined, /expected a JSON object, got an array/],
  ['a JSON array, typed', Buffer.from('[1]'), 'application/json', /expected a JSON object, got an array/],
  ['JSON that is not JSON', Buffer.from('{"version": '), 'application/json', /not valid JSON/],
  ['JSON that is not UTF-8', hex('7b 22 ff 22 7d'), 'application/json', /not valid JSON/],
  ['a missing version', Buffer.from('{"mtu":512}'), undefined, /version is missing/],
  ['a numeric version', Buffer.from('{"version":1}'), undefined, /version must be text or bytes/],
  ['a version that is not UTF-8', hex('a1 00 41 ff'), undefined, /version is not UTF-8/],
  ['a huge version', Buffer.from(JSON.stringify({ version: 'x'.repeat(300) })), undefined, /longer than 255/],
  ['mtu as text', Buffer.from('{"version":"1","mtu":"512"}'), undefined, /mtu must be an integer/],
  ['a negative mtu', Buffer.from('{"version":"1","mtu":-1}'), undefined, /mtu must be an integer/],
  ['a fractional mtu', Buffer.from('{"version":"1","mtu":1.5}'), undefined, /mtu must be an integer/],
  ['mtu 0', Buffer.from('{"version":"1","mtu":0}'), undefined, /mtu must be at least 1/],
  [
    'a huge JSON offset',
    Buffer.from('{"version":"1","update":{"version":"2","offset":4294967296}}'),
    undefined,
    /offset is beyond 2\^32-1/,
  ],
  ['an infinite JSON number', Buffer.from('{"version":"1","mtu":1e400}'), undefined, /mtu must be an integer/],
  [
    'a 64-bit CBOR offset',
    hex('a2 00 41 31 03 a2 00 41 32 01 1b ffffffffffffffff'),
    undefined,
    /offset is beyond 2\^32-1/,
  ],
  ['a float CBOR mtu', hex('a2 00 41 31 01 fb 3ff8000000000000'), undefined, /mtu must be an integer/],
  [
    'an update that is not a map',
    Buffer.from('{"version":"1","update":[1]}'),
    undefined,
    /status.update: expected a map, got an array/,
  ],
  ['an update without offset', Buffer.from('{"version":"1","update":{"version":"2"}}'), undefined, /offset is missing/],
  ['mixed keys', hex('a2 00 41 31 63 6d7475 01'), undefined, /all field indexes .* or all names/],
  ['a tagged value', hex('c1 1a 5f000000'), undefined, /expected a CBOR map, got a tagged value/],
  ['deep nesting', Buffer.concat([Buffer.alloc(200_000, 0x81), hex('01')]), undefined, /nested too deeply/],
  [
    'deep JSON nesting',
    Buffer.from(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`),
    'application/json',
    /version is missing/,
  ],
];

for (const [what, payload, contentType, message] of hostile) {
  test(`status: ${what} is a DfuDecodeError with a clear message`, () => {
    assert.throws(
      () => decodeStatus(payload, contentType),
      (error: unknown) => {
        assert.ok(error instanceof DfuDecodeError, `a ${(error as Error)?.name}: ${(error as Error)?.message}`);
        assert.match(error.message, message);
        assert.ok(!error.message.includes('\n'), 'one line');
        assert.ok(error.message.length < 120, `short: ${error.message}`);
        return true;
      },
    );
  });
}

const hostileCommands: [string, Buffer, RegExp][] = [
  ['an unknown op', Buffer.from('{"op":"ERASE"}'), /unknown op "ERASE"/],
  ['a missing op', Buffer.from('{"version":"1"}'), /op is missing/],
  ['an unknown packed op index', hex('a1 07 a0'), /unknown op index 7/],
  ['a packed command of two entries', hex('a2 00 a0 01 a0'), /map of one entry/],
  ['a packed command whose fields are not a map', hex('a1 00 01'), /expected a map, got a number/],
  ['a write without data', Buffer.from('{"op":"WRITE","version":"1","offset":0}'), /data is missing/],
  ['a write without offset', Buffer.from('{"op":"WRITE","version":"1","data":""}'), /offset is missing/],
  [
    'a write whose data is not base64',
    Buffer.from('{"op":"WRITE","version":"1","offset":0,"data":"*"}'),
    /data must be base64/,
  ],
  [
    'a write whose size is wrong',
    Buffer.from('{"op":"WRITE","version":"1","offset":0,"size":3,"data":"AAA="}'),
    /size 3 differs/,
  ],
  [
    'a write beyond 2^32',
    Buffer.from('{"op":"WRITE","version":"1","offset":4294967295,"data":"AAA="}'),
    /beyond 2\^32/,
  ],
  ['a packed write whose data is text', hex('a1 02 a4 00 41 31 01 f6 02 00 03 61 78'), /data must be a byte string/],
  [
    'a swap with a short checksum',
    Buffer.from('{"op":"SWAP","version":"1","checksum":"abcd"}'),
    /checksum has 2 bytes/,
  ],
  [
    'a swap with a checksum that is not hex',
    Buffer.from('{"op":"SWAP","version":"1","checksum":"xyz"}'),
    /checksum must be hex/,
  ],
  ['a sync without version', Buffer.from('{"op":"SYNC"}'), /version is missing/],
  ['a wait with a negative poll', Buffer.from('{"op":"WAIT","poll":-5}'), /poll must be an integer/],
];

for (const [what, payload, message] of hostileCommands) {
  test(`command: ${what} is a DfuDecodeError with a clear message`, () => {
    assert.throws(
      () => decodeCommand(payload),
      (error: unknown) => {
        assert.ok(error instanceof DfuDecodeError, `a ${(error as Error)?.name}: ${(error as Error)?.message}`);
        assert.match(error.message, message);
        return true;
      },
    );
  });
}

test('random bytes never throw anything but DfuDecodeError', () => {
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  const valid = [
    encodeStatus({ version: '1.0.0', mtu: 512, update: { version: '2.0.0', offset: 64 } }, 'packed').payload,
    encodeCommand({ op: 'write', version: '2', offset: 0, data: Buffer.alloc(16) }, 'packed').payload,
  ];
  for (let i = 0; i < 3000; i++) {
    const base = valid[i % valid.length] as Buffer;
    const mutated = Buffer.from(base.subarray(0, 1 + (next() % base.length)));
    for (let j = 0; j < 3; j++) mutated[next() % mutated.length] = next() % 256;
    for (const decode of [decodeStatus, decodeCommand]) {
      try {
        decode(mutated);
      } catch (error) {
        assert.ok(error instanceof DfuDecodeError, `${mutated.toString('hex')}: ${(error as Error).message}`);
      }
    }
  }
});
