// The fleet agent (DFU.md): answers each `dfu` report of a device with Wait, Sync, Write or Swap, in the encoding the
// device used, and records status.firmware at a bounded rate. It keeps no state between reports that it needs:
// the device's report and its recorded status say everything, so an agent restarted mid-update carries on.
// The same agent runs inside drg serve (on the event log and the command router) and as `drg firmware agent`
// (on the MQTT integration and the command API): the ports below are what differs.
import { DfuDecodeError, type DfuEncoding, decodeStatus, encodeCommand } from '../dfu/codec.js';
import {
  condition,
  type FirmwareSpec,
  type FirmwareSpecCheck,
  type FirmwareStatus,
  type ImageInfo,
  IN_SYNC,
  UPDATE_FAILED,
} from '../model/firmware.js';
import { type AnswerProblem, type AnswerTimes, answer, type DesiredImage, type Hold } from './answer.js';
import { StatusWriter } from './status-writer.js';

/** What the agent needs of a device: its desired firmware (device spec over application spec) and status. */
export interface DeviceFirmware {
  desired: FirmwareSpecCheck | undefined;
  status: FirmwareStatus | undefined;
  /** Its application has a rollout under way: devices check in often, so that its next stage starts at once. */
  rolloutRunning?: boolean;
}

export interface AgentRegistry {
  /**
   * undefined: no such device (or application). `midUpdate`: the device is downloading an image, and reports
   * again at once: a view a few seconds old will do (an idle device's report must see the registry as it is now,
   * or a rollout that just reached it would be missed).
   */
  device(app: string, device: string, midUpdate: boolean): Promise<DeviceFirmware | undefined>;
  /** Replaces status.firmware of the device (and nothing else); retried on a conflict by the implementation. */
  writeStatus(app: string, device: string, status: FirmwareStatus): Promise<void>;
}

/** An image with its bytes; `ImageUnavailableError` when it cannot be had (not pushed yet, registry down). */
export interface AgentImages {
  get(app: string, spec: FirmwareSpec): Promise<{ info: ImageInfo; data: Buffer }>;
}

export class ImageUnavailableError extends Error {}

export interface AgentCommands {
  /** Sends the `dfu` command to the device (and its gateways); best effort. */
  send(app: string, device: string, payload: Buffer, contentType: string): Promise<void>;
}

/** A report the agent could not serve as asked: said once, clearly, for the operator. */
export interface AgentProblem {
  app: string;
  device: string;
  /** What went wrong, in a word: a log counts the repeats of each kind apart. */
  kind: AnswerProblem['kind'] | 'malformed' | 'status' | 'nudge' | 'rollout' | 'error';
  message: string;
}

export interface AgentOptions extends Partial<AnswerTimes> {
  registry: AgentRegistry;
  images: AgentImages;
  commands: AgentCommands;
  problem(problem: AgentProblem): void;
  /** A device reached its target, or its update failed: what rollouts advance on. */
  transition?(app: string, device: string, status: FirmwareStatus): void;
  /** The shortest time between two progress writes of one device's status (ms; transitions are written at once). */
  statusIntervalMs?: number;
  now?: () => number;
}

export interface Report {
  app: string;
  device: string;
  payload: Uint8Array;
  contentType?: string;
}

export const DEFAULT_ANSWER_TIMES: AnswerTimes = { syncPoll: 300, waitPoll: 30 };
/** Wait's and Sync's poll at most, in seconds, while the device's application has a rollout under way. */
export const ROLLOUT_POLL = 5;
/** Devices whose encoding is remembered, at most (for nudges; beyond, the memory starts again). */
const MAX_REMEMBERED_ENCODINGS = 100_000;

export class FirmwareAgent {
  private readonly times: AnswerTimes;
  private readonly rolloutTimes: AnswerTimes;
  private readonly writer: StatusWriter;
  /** Reports of one device are answered one after the other: app/device → the one being answered. */
  private readonly busy = new Map<string, Promise<void>>();
  private readonly now: () => number;
  /** app/device → the encoding of its last report: what a nudge is sent in. */
  private readonly encodings = new Map<string, DfuEncoding>();
  /** Counts for metrics and the command's summary. */
  readonly counts = { reports: 0, writes: 0, swaps: 0, syncs: 0, waits: 0, problems: 0, bytes: 0 };

  constructor(private readonly options: AgentOptions) {
    this.times = {
      syncPoll: options.syncPoll ?? DEFAULT_ANSWER_TIMES.syncPoll,
      waitPoll: options.waitPoll ?? DEFAULT_ANSWER_TIMES.waitPoll,
    };
    this.rolloutTimes = {
      syncPoll: Math.min(this.times.syncPoll, ROLLOUT_POLL),
      waitPoll: Math.min(this.times.waitPoll, ROLLOUT_POLL),
    };
    this.now = options.now ?? Date.now;
    this.writer = new StatusWriter(options.registry, {
      intervalMs: options.statusIntervalMs ?? 5_000,
      failed: (app, device, err) =>
        this.problem(app, device, { kind: 'status', message: `cannot record status.firmware: ${errorText(err)}` }),
    });
  }

  /** Answers one report; never rejects (a problem is reported through `problem`). */
  handle(report: Report): Promise<void> {
    const key = `${report.app}/${report.device}`;
    const previous = this.busy.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.answer(report))
      .catch((err) => this.problem(report.app, report.device, { kind: 'error', message: errorText(err) }));
    this.busy.set(key, next);
    void next.finally(() => {
      if (this.busy.get(key) === next) this.busy.delete(key);
    });
    return next;
  }

  /**
   * "Report now" (Wait with poll 0), unasked, in the encoding of the device's last report (packed before it made
   * one): its stage of a rollout started, and it may be waiting out a long poll.
   */
  nudge(app: string, device: string): Promise<void> {
    const encoding = this.encodings.get(`${app}/${device}`) ?? 'packed';
    const { payload, contentType } = encodeCommand({ op: 'wait', poll: 0 }, encoding);
    return this.options.commands.send(app, device, payload, contentType);
  }

  /** Writes what is pending, and stops writing. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.busy.values()]);
    await this.writer.flush();
  }

  private async answer({ app, device, payload, contentType }: Report): Promise<void> {
    this.counts.reports++;
    let decoded: ReturnType<typeof decodeStatus>;
    try {
      decoded = decodeStatus(payload, contentType);
    } catch (err) {
      if (!(err instanceof DfuDecodeError)) throw err;
      // Without a report there is nothing safe to say: the device reports again after its own timeout.
      this.problem(app, device, { kind: 'malformed', message: `malformed DFU report: ${err.message}` });
      return;
    }
    this.rememberEncoding(`${app}/${device}`, decoded.encoding);
    const { update } = decoded.status;
    let known = await this.options.registry.device(app, device, update !== undefined);
    let desired = known && (await this.desiredImage(app, known.desired));
    if (update && (!desired || 'kind' in desired || desired.version !== update.version)) {
      // Mid-update for another version than a view a few seconds old says: read the registry as it is now.
      known = await this.options.registry.device(app, device, false);
      desired = known && (await this.desiredImage(app, known.desired));
    }
    if (!known || !desired) return;
    const recorded = this.writer.pending(app, device) ?? known.status;
    const times = known.rolloutRunning ? this.rolloutTimes : this.times;
    const result = answer(decoded.status, desired, recorded, times, new Date(this.now()));
    if (result.problem) this.problem(app, device, result.problem);
    const { command } = result;
    if (command.op === 'swap') {
      // Recorded before the device is told, so that a device that comes back with its old version is seen to
      // have failed, whichever agent gets its next report.
      await this.writer.write(app, device, result.status, true);
    } else {
      void this.writer.write(app, device, result.status, result.transition).catch(() => {});
    }
    const { payload: body, contentType: type } = encodeCommand(command, decoded.encoding);
    this.count(command.op, command.op === 'write' ? command.data.length : 0);
    await this.options.commands.send(app, device, body, type);
    if (result.transition && this.options.transition && isSettled(result.status)) {
      this.options.transition(app, device, result.status);
    }
  }

  private async desiredImage(app: string, desired: FirmwareSpecCheck | undefined): Promise<DesiredImage | Hold> {
    if (desired === undefined) return { kind: 'no-firmware' };
    if ('problem' in desired) return { kind: 'unresolved', reason: desired.problem };
    try {
      const { info, data } = await this.options.images.get(app, desired.value);
      return { version: info.version, size: info.size, checksum: checksumBytes(info.checksum), data };
    } catch (err) {
      if (err instanceof ImageUnavailableError) return { kind: 'unresolved', reason: err.message };
      throw err;
    }
  }

  private rememberEncoding(key: string, encoding: DfuEncoding): void {
    if (this.encodings.get(key) === encoding) return;
    if (this.encodings.size >= MAX_REMEMBERED_ENCODINGS) this.encodings.clear();
    this.encodings.set(key, encoding);
  }

  private count(op: string, bytes: number): void {
    if (op === 'write') this.counts.writes++;
    else if (op === 'swap') this.counts.swaps++;
    else if (op === 'sync') this.counts.syncs++;
    else this.counts.waits++;
    this.counts.bytes += bytes;
  }

  private problem(app: string, device: string, problem: Pick<AgentProblem, 'kind' | 'message'>): void {
    this.counts.problems++;
    this.options.problem({ app, device, ...problem });
  }
}

/** In sync, or failed: the states a rollout counts. */
function isSettled(status: FirmwareStatus): boolean {
  return condition(status, IN_SYNC)?.status === 'True' || condition(status, UPDATE_FAILED)?.status === 'True';
}

function checksumBytes(checksum: string): Buffer {
  const hex = checksum.startsWith('sha256:') ? checksum.slice(7) : checksum;
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ImageUnavailableError(`the image's checksum ${checksum} is not a SHA-256`);
  return Buffer.from(hex, 'hex');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
