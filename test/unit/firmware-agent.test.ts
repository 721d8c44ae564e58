// The agent's answers (DFU.md, "Server algorithm"), its status.firmware at a bounded rate, and its safety with
// hostile reports, with the real codec and an in-memory registry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { type DfuCommand, type DfuEncoding, decodeCommand, encodeStatus } from '../../src/dfu/codec.js';
import { type AgentProblem, FirmwareAgent, ImageUnavailableError } from '../../src/firmware/agent.js';
import { modifyDevice } from '../../src/firmware/fleet-registry.js';
import { desiredFirmware, firmwareStatusOf, type ImageInfo } from '../../src/model/firmware.js';
import { hasRunningRollout } from '../../src/model/rollout.js';
import { MemoryFleet } from '../helpers/fleet.js';

const IMAGE = Buffer.from(Array.from({ length: 1300 }, (_, i) => i % 251));
const INFO: ImageInfo = {
  name: 'fw',
  version: '2.0.0',
  size: IMAGE.length,
  checksum: `sha256:${createHash('sha256').update(IMAGE).digest('hex')}`,
};

function setup(options: { statusIntervalMs?: number; image?: boolean } = {}) {
  const fleet = new MemoryFleet();
  fleet.addApp('app');
  fleet.addDevice('app', 'd1', { firmware: { file: { name: 'fw', version: '2.0.0' } } });
  const sent: Array<{ device: string; command: DfuCommand; encoding: DfuEncoding }> = [];
  const problems: AgentProblem[] = [];
  const transitions: string[] = [];
  const agent = new FirmwareAgent({
    registry: {
      device: async (app, device) => {
        const [d, a] = [await fleet.getDevice(app, device), await fleet.getApp(app)];
        return (
          d && {
            desired: desiredFirmware(d, a),
            status: firmwareStatusOf(d),
            rolloutRunning: !!a && hasRunningRollout(a),
          }
        );
      },
      writeStatus: async (app, device, status) => {
        await modifyDevice(fleet, app, device, (d) => ({ ...d, status: { ...d.status, firmware: status } }));
      },
    },
    images: {
      get: async () => {
        if (options.image === false) throw new ImageUnavailableError('no firmware fw 2.0.0 in the store');
        return { info: INFO, data: IMAGE };
      },
    },
    commands: {
      send: async (_app, device, payload, contentType) => {
        const { command, encoding } = decodeCommand(payload, contentType);
        sent.push({ device, command, encoding });
      },
    },
    problem: (p) => problems.push(p),
    transition: (_app, device) => transitions.push(device),
    statusIntervalMs: options.statusIntervalMs ?? 60_000,
  });
  const report = (status: Parameters<typeof encodeStatus>[0], encoding: DfuEncoding = 'packed', device = 'd1') => {
    const { payload, contentType } = encodeStatus(status, encoding);
    return agent.handle({ app: 'app', device, payload, contentType });
  };
  return { fleet, agent, sent, problems, transitions, report };
}

test('a device on another version gets the image block by block in its mtu, then Swap with the SHA-256', async () => {
  const { sent, report, agent } = setup();
  await report({ version: '1.0.0', mtu: 512 });
  let last = sent.at(-1)?.command;
  assert.equal(last?.op, 'write');
  let image = Buffer.alloc(0);
  while (last?.op === 'write') {
    assert.equal(last.offset, image.length);
    assert.ok(last.data.length <= 512);
    image = Buffer.concat([image, last.data]);
    await report({ version: '1.0.0', mtu: 512, update: { version: '2.0.0', offset: image.length } });
    last = sent.at(-1)?.command;
  }
  assert.deepEqual(image, IMAGE);
  assert.equal(last?.op, 'swap');
  assert.equal(Buffer.from(last.op === 'swap' ? last.checksum : []).toString('hex'), INFO.checksum.slice(7));
  assert.equal(sent.length, Math.ceil(IMAGE.length / 512) + 1);
  await agent.close();
});

test('each device is answered in the encoding it used, with its correlation_id echoed', async () => {
  const { sent, report, agent } = setup();
  for (const encoding of ['packed', 'named', 'json'] as const) {
    await report({ version: '1.0.0', correlationId: 77 }, encoding);
    const last = sent.at(-1);
    assert.equal(last?.encoding, encoding);
    assert.equal(last?.command.correlationId, 77);
    assert.equal(last?.command.op, 'write');
    assert.equal(last?.command.op === 'write' && last.command.data.length, 512, 'the default mtu is 512');
  }
  await agent.close();
});

test('a device on the desired version gets Sync and is recorded in sync at once', async () => {
  const { sent, report, fleet, transitions, agent } = setup();
  await report({ version: '2.0.0' });
  assert.equal(sent.at(-1)?.command.op, 'sync');
  await agent.close();
  const status = firmwareStatusOf(fleet.device('app', 'd1'));
  assert.equal(status?.current, '2.0.0');
  assert.equal(status?.target, '2.0.0');
  assert.equal(status?.conditions?.find((c) => c.type === 'InSync')?.status, 'True');
  assert.deepEqual(transitions, ['d1']);
});

test('progress is written at a bounded rate, transitions at once', async () => {
  const { report, fleet, agent } = setup();
  await report({ version: '1.0.0', mtu: 64 });
  for (let offset = 64; offset < IMAGE.length; offset += 64) {
    await report({ version: '1.0.0', mtu: 64, update: { version: '2.0.0', offset } });
  }
  await agent.close();
  // 21 blocks: the first (a new target) is written, the rest wait for the (long) interval, flushed once at close.
  assert.ok(fleet.writes <= 3, `${fleet.writes} status writes for 21 blocks`);
  const status = firmwareStatusOf(fleet.device('app', 'd1'));
  assert.equal(status?.target, '2.0.0');
  assert.equal(status?.conditions?.find((c) => c.type === 'UpdateProgress')?.message, '98');
});

test('a device that comes back with its old version after Swap is recorded as failed and waits', async () => {
  const { sent, report, fleet, problems, transitions, agent } = setup();
  await report({ version: '1.0.0', update: { version: '2.0.0', offset: IMAGE.length } });
  assert.equal(sent.at(-1)?.command.op, 'swap');
  await report({ version: '1.0.0' });
  assert.equal(sent.at(-1)?.command.op, 'wait');
  await report({ version: '1.0.0' });
  assert.equal(sent.at(-1)?.command.op, 'wait', 'a failed device is not updated again until retried');
  await agent.close();
  const failed = firmwareStatusOf(fleet.device('app', 'd1'))?.conditions?.find((c) => c.type === 'Failed');
  assert.equal(failed?.status, 'True');
  assert.match(problems.map((p) => p.message).join('\n'), /came back with version 1\.0\.0 after the swap to 2\.0\.0/);
  assert.deepEqual(transitions, ['d1']);
});

test('hostile reports are answered safely or not at all, and the agent goes on serving others', async () => {
  const { sent, report, problems, agent, fleet } = setup();
  fleet.addDevice('app', 'd2', { firmware: { file: { name: 'fw', version: '2.0.0' } } });
  await report({ version: '1.0.0', update: { version: '2.0.0', offset: IMAGE.length + 100 } });
  const restart = sent.at(-1)?.command;
  assert.equal(restart?.op, 'write');
  assert.equal(restart?.op === 'write' && restart.offset, 0, 'an offset past the end restarts at 0');
  assert.match(problems.at(-1)?.message ?? '', /beyond the end/);
  const before = sent.length;
  for (const garbage of [Buffer.from([0xff, 0x00, 0x13]), Buffer.alloc(0), Buffer.from('{"version": 3}')]) {
    await agent.handle({ app: 'app', device: 'd1', payload: garbage });
  }
  assert.equal(sent.length, before, 'nothing is sent for a report that cannot be read');
  assert.equal(problems.filter((p) => /malformed DFU report/.test(p.message)).length, 3);
  await agent.handle({ app: 'app', device: 'nobody', payload: encodeStatus({ version: '1' }, 'packed').payload });
  await report({ version: '1.0.0' }, 'packed', 'd2');
  assert.equal(sent.at(-1)?.device, 'd2');
  assert.equal(sent.at(-1)?.command.op, 'write');
  await agent.close();
});

test('without a desired firmware, or one that cannot be had yet, the device waits', async () => {
  const { sent, report, fleet, problems, agent } = setup({ image: false });
  fleet.addDevice('app', 'plain');
  await report({ version: '1.0.0' }, 'packed', 'plain');
  assert.deepEqual(sent.at(-1)?.command, { op: 'wait', poll: 30 });
  await report({ version: '1.0.0' });
  assert.equal(sent.at(-1)?.command.op, 'wait');
  assert.match(problems.at(-1)?.message ?? '', /no firmware fw 2\.0\.0/);
  await agent.close();
});

test('while a rollout is under way in its application, a device checks in every 5 s at most', async () => {
  const { sent, report, fleet, agent } = setup();
  fleet.addDevice('app', 'later');
  await report({ version: '1.0.0' }, 'packed', 'later');
  assert.deepEqual(sent.at(-1)?.command, { op: 'wait', poll: 30 });
  const app = fleet.apps.get('app');
  assert.ok(app);
  app.spec = { rollout: { id: 'r1', version: '2.0.0', stages: [['d1'], ['later']] } };
  await report({ version: '1.0.0' }, 'packed', 'later');
  assert.deepEqual(sent.at(-1)?.command, { op: 'wait', poll: 5 }, 'its stage may start any moment');
  const pollOf = () => {
    const command = sent.at(-1)?.command;
    return command?.op === 'sync' ? command.poll : undefined;
  };
  await report({ version: '2.0.0' });
  assert.equal(pollOf(), 5);
  app.status = { rollout: { id: 'r1', phase: 'Completed', stagesStarted: [], counts: {} } };
  await report({ version: '2.0.0' });
  assert.equal(pollOf(), 300, 'finished: the usual poll');
  await agent.close();
});

test("a nudge is a Wait with poll 0 in the encoding of the device's last report, packed before it made one", async () => {
  const { sent, report, agent, fleet } = setup();
  fleet.addDevice('app', 'quiet');
  await agent.nudge('app', 'quiet');
  assert.deepEqual(sent.at(-1), { device: 'quiet', command: { op: 'wait', poll: 0 }, encoding: 'packed' });
  await report({ version: '1.0.0' }, 'named');
  await agent.nudge('app', 'd1');
  assert.deepEqual(sent.at(-1), { device: 'd1', command: { op: 'wait', poll: 0 }, encoding: 'named' });
  await agent.close();
});
