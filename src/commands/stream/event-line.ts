// How `drg stream` shows an event to people: one line of time, device, channel and a compact payload, every part
// escaped (devices name themselves and choose their channels and payloads), coloured on a terminal.
import type { CloudEvent } from '../../model/cloudevents.js';
import type { Colors } from '../../output/colors.js';
import { escapeInline } from '../../output/escape.js';

/** Device and channel columns grow to the widest seen, up to this. */
const MAX_COLUMN = 24;
const BINARY_PREVIEW_BYTES = 16;

export class EventLines {
  private deviceWidth = 0;
  private channelWidth = 0;

  /** `width`: the terminal's, to cut long payloads to one screen line. */
  constructor(
    private readonly colors: Colors,
    private readonly width: number | undefined,
  ) {}

  line(event: Partial<CloudEvent>, now: number): string {
    const time = formatTime(event.time, now);
    const device = typeof event.device === 'string' ? event.device : '?';
    const via = typeof event.sender === 'string' && event.sender !== device ? ` via ${event.sender}` : '';
    const who = escapeInline(`${device}${via}`);
    const channel = escapeInline(typeof event.subject === 'string' ? event.subject : '');
    this.deviceWidth = Math.min(MAX_COLUMN, Math.max(this.deviceWidth, length(who)));
    this.channelWidth = Math.min(MAX_COLUMN, Math.max(this.channelWidth, length(channel)));
    const whoCell = pad(who, this.deviceWidth);
    const channelCell = pad(channel, this.channelWidth);
    let payload = escapeInline(compactPayload(event));
    const head = length(time) + length(whoCell) + length(channelCell) + 6;
    if (this.width !== undefined && head + length(payload) > this.width) {
      payload = `${[...payload].slice(0, Math.max(this.width - head - 1, 8)).join('')}…`;
    }
    const c = this.colors;
    return `${c.dim(time)}  ${c.bold(whoCell)}  ${c.yellow(channelCell)}  ${payload}`.trimEnd();
  }
}

/** Local `HH:MM:SS.mmm`, with the date before it when that is not today. */
function formatTime(time: unknown, now: number): string {
  const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(ms)) return '??:??:??.???';
  const at = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
  const today = new Date(now);
  const sameDay =
    at.getFullYear() === today.getFullYear() && at.getMonth() === today.getMonth() && at.getDate() === today.getDate();
  return sameDay ? clock : `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${clock}`;
}

/** JSON on one line; text as it is; other bytes as their count and first bytes in hex. */
function compactPayload(event: Partial<CloudEvent>): string {
  if (event.data !== undefined) return JSON.stringify(event.data);
  if (typeof event.data_base64 !== 'string') return '';
  const bytes = Buffer.from(event.data_base64, 'base64');
  const text = bytes.toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: binary is what is looked for
  if (Buffer.from(text, 'utf8').equals(bytes) && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) return text;
  const preview = bytes.subarray(0, BINARY_PREVIEW_BYTES).toString('hex');
  return `<${bytes.length} bytes: ${preview}${bytes.length > BINARY_PREVIEW_BYTES ? '…' : ''}>`;
}

function length(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - length(text)));
}
