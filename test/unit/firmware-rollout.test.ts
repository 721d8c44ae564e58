// Rollouts: planning (canary first, batches), advancing as soon as a stage reaches its threshold, pausing on
// failures, resume, cancel (devices put back), retry, timeouts; on an in-memory registry with optimistic locking.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateRollout, markCancelled, retryFailed, setPaused } from '../../src/firmware/rollout/controller.js';
import { PREVIOUS_ANNOTATION, ROLLOUT_ANNOTATION, type RolloutSpec } from '../../src/model/rollout.js';
import { DEFAULT_PLAN, parseAmount, planRollout } from '../../src/model/rollout-plan.js';
import { MemoryFleet } from '../helpers/fleet.js';

const FIRMWARE = { file: { name: 'fw', version: '2.0.0' } };
const T0 = Date.parse('2026-12-01T10:00:00Z');

function fleetOf(count: number, options: Partial<typeof DEFAULT_PLAN> = {}) {
  const fleet = new MemoryFleet();
  fleet.addApp('app');
  for (let i = 1; i <= count; i++) {
    fleet.addDevice('app', `d${String(i).padStart(2, '0')}`, {}, { firmware: { current: '1.0.0' } });
  }
  const plan = planRollout([...(fleet.devices.get('app')?.values() ?? [])], {
    ...DEFAULT_PLAN,
    ...options,
    id: 'r1',
    version: '2.0.0',
    firmware: FIRMWARE,
    createdAt: new Date(T0).toISOString(),
  });
  const app = fleet.apps.get('app');
  if (app) app.spec = { rollout: plan.spec };
  return { fleet, plan };
}

/** What the agent would record when the device reaches a state. */
function settle(fleet: MemoryFleet, device: string, outcome: 'in-sync' | 'failed') {
  const d = fleet.device('app', device);
  d.status = {
    firmware:
      outcome === 'in-sync'
        ? { current: '2.0.0', target: '2.0.0', conditions: [{ type: 'InSync', status: 'True' }] }
        : {
            current: '1.0.0',
            target: '2.0.0',
            conditions: [{ type: 'Failed', status: 'True', message: 'swap failed' }],
          },
  };
}

const started = (fleet: MemoryFleet) =>
  [...(fleet.devices.get('app')?.values() ?? [])]
    .filter((d) => d.metadata.annotations?.[ROLLOUT_ANNOTATION] === 'r1')
    .map((d) => d.metadata.name);

test('amounts: N or N%, at least one device when there are any', () => {
  assert.deepEqual(parseAmount('5'), { count: 5 });
  assert.deepEqual(parseAmount('10%'), { percent: 10 });
  assert.equal(parseAmount('101%'), undefined);
  assert.equal(parseAmount('-1'), undefined);
  assert.equal(parseAmount('x'), undefined);
});

test('the plan: the canary group first (by name), then batches; devices already on the version go first', () => {
  const { plan } = fleetOf(10, { canary: { count: 2 }, batchSize: { count: 3 } });
  assert.deepEqual(plan.spec.stages, [
    ['d01', 'd02'],
    ['d03', 'd04', 'd05'],
    ['d06', 'd07', 'd08'],
    ['d09', 'd10'],
  ]);
  assert.deepEqual(Object.fromEntries(plan.fromVersions), { '1.0.0': 10 });
  const small = fleetOf(5).plan.spec.stages;
  assert.deepEqual(small, [['d01'], ['d02', 'd03'], ['d04', 'd05']], 'defaults: a 10% canary (one), 25% batches');
});

test('a stage starts as soon as the one before reaches its threshold, and the rollout completes', async () => {
  const { fleet } = fleetOf(5);
  const nudged: string[] = [];
  const evaluate = (now = T0) => evaluateRollout(fleet, 'app', { now, nudge: (_a, d) => nudged.push(d) });
  let status = await evaluate();
  assert.equal(status?.phase, 'Running');
  assert.deepEqual(started(fleet), ['d01']);
  assert.deepEqual(fleet.device('app', 'd01').spec?.firmware, FIRMWARE);
  assert.equal(fleet.device('app', 'd01').metadata.annotations?.[PREVIOUS_ANNOTATION], 'null');
  assert.deepEqual(nudged, ['d01']);
  status = await evaluate();
  assert.deepEqual(started(fleet), ['d01'], 'nothing advances before the canary is in sync');
  settle(fleet, 'd01', 'in-sync');
  status = await evaluate();
  assert.deepEqual(started(fleet), ['d01', 'd02', 'd03']);
  assert.equal(status?.stagesStarted.length, 2);
  for (const d of ['d02', 'd03', 'd04', 'd05']) {
    settle(fleet, d, 'in-sync');
    status = await evaluate();
  }
  assert.equal(status?.phase, 'Completed');
  assert.deepEqual(status?.counts, { pending: 0, updating: 0, inSync: 5, failed: 0 });
  const writes = fleet.writes;
  await evaluate();
  assert.equal(fleet.writes, writes, 'a finished rollout writes nothing more');
});

async function pausedOnCanary() {
  const { fleet } = fleetOf(5);
  await evaluateRollout(fleet, 'app', { now: T0 });
  settle(fleet, 'd01', 'failed');
  const status = await evaluateRollout(fleet, 'app', { now: T0 });
  return { fleet, status };
}

test('a failing canary pauses the rollout; resume accepts the failure and goes on', async () => {
  const { fleet, status } = await pausedOnCanary();
  assert.equal(status?.phase, 'Paused');
  assert.match(status?.reason ?? '', /1 device failed \(at most 0 allowed\): d01/);
  assert.deepEqual(started(fleet), ['d01']);
  await setPaused(fleet, 'app', false, T0);
  const resumed = await evaluateRollout(fleet, 'app', { now: T0 });
  assert.equal(resumed?.phase, 'Running');
  assert.deepEqual(started(fleet), ['d01', 'd02', 'd03']);
});

test('retry gives the failed devices another go, and the rollout runs again', async () => {
  const { fleet } = await pausedOnCanary();
  assert.deepEqual(await retryFailed(fleet, 'app', T0), ['d01']);
  assert.doesNotMatch(JSON.stringify(fleet.device('app', 'd01').status), /Failed/);
  let status = await evaluateRollout(fleet, 'app', { now: T0 });
  assert.equal(status?.phase, 'Running');
  assert.deepEqual(started(fleet), ['d01'], 'the canary must succeed first');
  settle(fleet, 'd01', 'in-sync');
  status = await evaluateRollout(fleet, 'app', { now: T0 });
  assert.deepEqual(started(fleet), ['d01', 'd02', 'd03']);
});

test('an operator pause holds the next stage; a device silent past the timeout counts as failed', async () => {
  const { fleet } = fleetOf(5, { timeoutSeconds: 60, maxFailures: { count: 1 } });
  await evaluateRollout(fleet, 'app', { now: T0 });
  await setPaused(fleet, 'app', true, T0);
  settle(fleet, 'd01', 'in-sync');
  let status = await evaluateRollout(fleet, 'app', { now: T0 });
  assert.equal(status?.phase, 'Paused');
  assert.equal(status?.reason, 'paused by an operator');
  assert.deepEqual(started(fleet), ['d01']);
  await setPaused(fleet, 'app', false, T0);
  status = await evaluateRollout(fleet, 'app', { now: T0 });
  assert.deepEqual(started(fleet), ['d01', 'd02', 'd03']);
  settle(fleet, 'd02', 'in-sync');
  status = await evaluateRollout(fleet, 'app', { now: T0 + 61_000 });
  assert.deepEqual(status?.counts, { pending: 2, updating: 0, inSync: 2, failed: 1 }, 'd03 timed out');
  assert.equal(status?.phase, 'Running', 'one failure is allowed');
});

test('cancel puts the devices not yet updated back to their previous firmware', async () => {
  const { fleet } = fleetOf(5, { canary: { count: 2 } });
  fleet.device('app', 'd02').spec = { firmware: { file: { name: 'fw', version: '1.0.0' } } };
  await evaluateRollout(fleet, 'app', { now: T0 });
  settle(fleet, 'd01', 'in-sync');
  assert.equal(await markCancelled(fleet, 'app'), true);
  const status = await evaluateRollout(fleet, 'app', { now: T0 });
  assert.equal(status?.phase, 'Cancelled');
  assert.deepEqual(fleet.device('app', 'd01').spec?.firmware, FIRMWARE, 'an updated device keeps its firmware');
  assert.deepEqual(fleet.device('app', 'd02').spec?.firmware, { file: { name: 'fw', version: '1.0.0' } });
  assert.equal(fleet.device('app', 'd02').metadata.annotations?.[ROLLOUT_ANNOTATION], undefined);
  assert.equal(await markCancelled(fleet, 'app'), false, 'a finished rollout cannot be cancelled');
});

test('two drivers evaluating at once start each stage once', async () => {
  const { fleet } = fleetOf(20, { canary: { count: 2 }, batchSize: { count: 6 } });
  await Promise.all([evaluateRollout(fleet, 'app', { now: T0 }), evaluateRollout(fleet, 'app', { now: T0 })]);
  settle(fleet, 'd01', 'in-sync');
  settle(fleet, 'd02', 'in-sync');
  const [a, b] = await Promise.all([
    evaluateRollout(fleet, 'app', { now: T0 }),
    evaluateRollout(fleet, 'app', { now: T0 }),
  ]);
  const spec = fleet.apps.get('app')?.spec?.rollout as RolloutSpec;
  const status = fleet.apps.get('app')?.status?.rollout as { stagesStarted: string[] };
  assert.equal(status.stagesStarted.length, 2, `${a?.stagesStarted.length} ${b?.stagesStarted.length}`);
  assert.deepEqual(started(fleet).sort(), [...(spec.stages[0] ?? []), ...(spec.stages[1] ?? [])].sort());
});
