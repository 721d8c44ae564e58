// A minimal DFU answerer for tests (not the firmware agent): consumes an application's `dfu` events from a server's
// event bus and answers each report through the command API, as DFU.md's server algorithm does for one image.
import { createHash } from 'node:crypto';
import {
  type DeviceStatus,
  DFU_CHANNEL,
  DFU_COMMAND,
  type DfuCommand,
  decodeStatus,
  encodeCommand,
} from '../../src/dfu/codec.js';
import type { CloudEvent } from '../../src/model/cloudevents.js';
import type { EventBus } from '../../src/server-lite/events/log.js';

export interface ResponderOptions {
  bus: EventBus;
  /** The server's command API base URL, and admin's Authorization header. */
  url: string;
  authorization: string;
  app: string;
  image: { version: string; data: Buffer };
  /** `poll` of the Sync and Wait answers (default 60 s). */
  poll?: number;
  /** Which devices get the image (default all); the others get Wait. */
  targets?: (device: string) => boolean;
}

export interface DfuResponder {
  /** Every report received, in order. */
  readonly reports: { device: string; status: DeviceStatus; encoding: string }[];
  /** Every answer sent, in order. */
  readonly answers: { device: string; command: DfuCommand }[];
  /** Devices that came back with another version after their Swap: they get Wait from then on. */
  readonly failed: Set<string>;
  /** Answers the command API did not take (a test expects none). */
  readonly errors: string[];
  /** Resolves with the next report of `device` that `match` takes, once it arrives. */
  report(device: string, match?: (status: DeviceStatus) => boolean): Promise<DeviceStatus>;
  close(): void;
}

export function startDfuResponder(options: ResponderOptions): DfuResponder {
  const { image } = options;
  const checksum = createHash('sha256').update(image.data).digest();
  const reports: DfuResponder['reports'] = [];
  const answers: DfuResponder['answers'] = [];
  const errors: string[] = [];
  const swapped = new Set<string>();
  const failed = new Set<string>();
  const waiters: { device: string; match: (s: DeviceStatus) => boolean; resolve: (s: DeviceStatus) => void }[] = [];

  const answer = (status: DeviceStatus, device: string): DfuCommand => {
    const poll = options.poll ?? 60;
    if (options.targets && !options.targets(device)) return { op: 'wait', poll };
    if (status.version === image.version) return { op: 'sync', version: image.version, poll };
    if (swapped.has(device) && !status.update) failed.add(device);
    if (failed.has(device)) return { op: 'wait', poll };
    const offset = status.update?.version === image.version ? status.update.offset : 0;
    if (offset >= image.data.length) {
      swapped.add(device);
      return { op: 'swap', version: image.version, checksum };
    }
    const end = Math.min(image.data.length, offset + (status.mtu ?? 512));
    return { op: 'write', version: image.version, offset, data: image.data.subarray(offset, end) };
  };

  const send = async (device: string, command: DfuCommand, encoding: 'packed' | 'named' | 'json') => {
    const { payload, contentType } = encodeCommand(command, encoding);
    const path = `/api/command/v1alpha1/apps/${options.app}/devices/${encodeURIComponent(device)}`;
    const response = await fetch(`${options.url}${path}?command=${DFU_COMMAND}`, {
      method: 'POST',
      headers: { authorization: options.authorization, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    if (response.status !== 202) throw new Error(`the command API answered ${response.status}`);
    answers.push({ device, command });
  };

  const consumer = options.bus.consume({
    app: options.app,
    filter: (event) => event.subject === DFU_CHANNEL,
    maxInFlight: 1000,
    deliver(logged) {
      consumer.ack(logged.position);
      const event = logged.event;
      const { status, encoding } = decodeStatus(payloadOf(event), event.datacontenttype);
      reports.push({ device: event.device, status, encoding });
      const command = answer(status, event.device);
      for (const waiter of waiters.filter((w) => w.device === event.device && w.match(status))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(status);
      }
      send(event.device, command, encoding).catch((error: Error) => {
        errors.push(`${event.device}: ${error.message}`);
      });
    },
    dropped(reason) {
      throw new Error(`the DFU responder was dropped: ${reason}`);
    },
  });

  return {
    reports,
    answers,
    errors,
    failed,
    report(device, match = () => true) {
      return new Promise((resolve) => waiters.push({ device, match, resolve }));
    },
    close: () => consumer.close(),
  };
}

function payloadOf(event: CloudEvent): Buffer {
  if (event.data_base64 !== undefined) return Buffer.from(event.data_base64, 'base64');
  return Buffer.from(JSON.stringify(event.data));
}
