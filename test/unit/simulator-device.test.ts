// The device side of DFU: what a simulated device reports and how it takes each command, through the codec's own
// encodings (a command encoded as the cloud would send it, decoded as the device reads it).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { type DfuCommand, type DfuEncoding, decodeCommand, encodeCommand } from '../../src/dfu/codec.js';
import { DeviceFirmware, failingCount, failsUpdates } from '../../src/simulator/device.js';

const image = randomBytes(1300);
const checksum = createHash('sha256').update(image).digest();

/** The command as it reaches the device: encoded by the cloud, decoded by the device. */
function wire(command: DfuCommand, encoding: DfuEncoding = 'packed'): DfuCommand {
  const { payload, contentType } = encodeCommand(command, encoding);
  return decodeCommand(payload, contentType).command;
}

const write = (offset: number, version = '2.0.0', size = 512): DfuCommand => ({
  op: 'write',
  version,
  offset,
  data: image.subarray(offset, offset + size),
});

/** Writes the whole image, block by block at the offsets the device reports, as the agent does. */
function download(device: DeviceFirmware, version = '2.0.0'): void {
  for (;;) {
    const offset = device.status().update?.offset ?? 0;
    if (offset >= image.length) return;
    assert.equal(device.apply(wire(write(offset, version))).outcome, 'written');
  }
}

test('a device reports its version and mtu, and no update before a download', () => {
  const device = new DeviceFirmware({ version: '1.0.0', mtu: 256 });
  assert.deepEqual(device.status(), { version: '1.0.0', mtu: 256 });
});

test('a block at the expected offset is taken and the next report names the new offset at once', () => {
  const device = new DeviceFirmware({ version: '1.0.0', mtu: 512 });
  assert.deepEqual(device.apply(wire(write(0))), { reaction: { kind: 'report' }, outcome: 'written' });
  assert.deepEqual(device.status(), { version: '1.0.0', mtu: 512, update: { version: '2.0.0', offset: 512 } });
  assert.equal(device.apply(wire(write(512), 'json')).outcome, 'written');
  assert.deepEqual(device.status().update, { version: '2.0.0', offset: 1024 });
});

test('a block at another offset is refused: the device reports its own offset again', () => {
  const device = new DeviceFirmware({ version: '1.0.0', mtu: 512 });
  device.apply(wire(write(0)));
  for (const offset of [1024, 256, 511]) {
    assert.deepEqual(device.apply(wire(write(offset))), { reaction: { kind: 'report' }, outcome: 'refused' });
    assert.deepEqual(device.status().update, { version: '2.0.0', offset: 512 });
  }
  // Nothing downloaded yet: only offset 0 starts.
  const fresh = new DeviceFirmware({ version: '1.0.0', mtu: 512 });
  assert.equal(fresh.apply(wire(write(512))).outcome, 'refused');
  assert.deepEqual(fresh.status(), { version: '1.0.0', mtu: 512 });
});

test('a block of another version is refused, unless at offset 0, which starts that version anew', () => {
  const device = new DeviceFirmware({ version: '1.0.0', mtu: 512 });
  device.apply(wire(write(0)));
  assert.equal(device.apply(wire(write(512, '3.0.0'))).outcome, 'refused');
  assert.deepEqual(device.status().update, { version: '2.0.0', offset: 512 });
  assert.equal(device.apply(wire(write(0, '3.0.0', 100))).outcome, 'written');
  assert.deepEqual(device.status().update, { version: '3.0.0', offset: 100 });
});

for (const encoding of ['packed', 'named', 'json'] as const) {
  test(`a Swap whose checksum matches the download boots the new version (${encoding})`, () => {
    const device = new DeviceFirmware({ version: '1.0.0', mtu: 512 });
    download(device);
    const swap = wire({ op: 'swap', version: '2.0.0', checksum }, encoding);
    assert.deepEqual(device.apply(swap), { reaction: { kind: 'report' }, outcome: 'updated' });
    assert.deepEqual(device.status(), { version: '2.0.0', mtu: 512 });
    // A late duplicate of that Swap changes nothing.
    assert.equal(device.apply(swap).outcome, 'duplicate');
    assert.equal(device.version, '2.0.0');
  });
}

test('a Swap whose checksum does not match discards the download: the old version, no update', () => {
  const device = new DeviceFirmware({ version: '1.0.0', mtu: 512 });
  download(device);
  const wrong = createHash('sha256').update('another image').digest();
  assert.equal(device.apply(wire({ op: 'swap', version: '2.0.0', checksum: wrong })).outcome, 'mismatched');
  assert.deepEqual(device.status(), { version: '1.0.0', mtu: 512 });
  // An incomplete download does not match either, nor a Swap of another version.
  device.apply(wire(write(0)));
  assert.equal(device.apply(wire({ op: 'swap', version: '2.0.0', checksum })).outcome, 'mismatched');
  download(device);
  assert.equal(device.apply(wire({ op: 'swap', version: '9.9.9', checksum })).outcome, 'mismatched');
  assert.deepEqual(device.status(), { version: '1.0.0', mtu: 512 });
});

test('a device that fails its updates comes back with its old version after a good Swap', () => {
  const device = new DeviceFirmware({ version: '1.0.0', mtu: 512, failsUpdates: true });
  download(device);
  assert.equal(device.apply(wire({ op: 'swap', version: '2.0.0', checksum })).outcome, 'reverted');
  assert.deepEqual(device.status(), { version: '1.0.0', mtu: 512 });
});

test('Wait and Sync say when to report again; Wait{poll: 0} means now', () => {
  const device = new DeviceFirmware({ version: '1.0.0', mtu: 512 });
  assert.deepEqual(device.apply(wire({ op: 'wait', poll: 300 })), {
    reaction: { kind: 'wait', seconds: 300 },
    outcome: 'waited',
  });
  assert.deepEqual(device.apply(wire({ op: 'wait' })).reaction, { kind: 'wait', seconds: undefined });
  assert.deepEqual(device.apply(wire({ op: 'wait', poll: 0 })).reaction, { kind: 'report' });
  assert.deepEqual(device.apply(wire({ op: 'sync', version: '1.0.0', poll: 60 })), {
    reaction: { kind: 'wait', seconds: 60 },
    outcome: 'synced',
  });
});

test('--fail-rate: exactly floor(N * rate) devices fail, spread over the fleet', () => {
  for (const [count, rate, expected] of [
    [10, 0.2, 2],
    [100, 0.29, 29],
    [1000, 0.333, 333],
    [7, 0.5, 3],
    [3, 0, 0],
    [5, 1, 5],
    [1, 0.99, 0],
    [3, 1 / 3, 1],
  ] as const) {
    const failing = Array.from({ length: count }, (_, i) => i).filter((i) => failsUpdates(i, rate));
    assert.equal(failing.length, expected, `${count} at ${rate}`);
    assert.equal(failingCount(count, rate), expected, `${count} at ${rate}`);
  }
  // Spread: of ten at 20%, one in each half.
  const tenth = Array.from({ length: 10 }, (_, i) => i).filter((i) => failsUpdates(i, 0.2));
  assert.equal(tenth.filter((i) => i < 5).length, 1);
});
