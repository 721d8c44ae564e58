// Live events of an application: the WebSocket integration's stream (api/events.ts), newest first and bounded,
// rendered once per animation frame however fast events come; filters by device and channel, pause and resume,
// the rate, the connection's state, and the selected CloudEvent in full. Payloads are shown as text or hex only.
import { Component } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { CloudEvent } from '../../model/cloudevents.js';
import { type EventStream, openEventStream, type StreamState } from '../api/events.js';
import { Page } from '../ui/common.js';

/** The list keeps this many events, the newest; older ones are dropped (and counted). */
export const LIST_LIMIT = 500;
/** The rate is taken over this many seconds. */
const RATE_SECONDS = 5;
/** Suggestions offered in the filters, at most. */
const SUGGESTIONS = 100;
/** Binary payloads are shown up to this many bytes. */
const HEX_LIMIT = 4096;

interface Entry {
  seq: number;
  event: CloudEvent;
}

interface Counters {
  /** Events rendered into the list so far (data-rendered, for the benchmark). */
  rendered: number;
  /** Events that left the list (or never made it) for its bound. */
  dropped: number;
  /** Events received while paused. */
  whilePaused: number;
  rate: number;
}

export function EventsPage({ app }: { app: string }) {
  const [state, setState] = useState<StreamState>({ kind: 'connecting' });
  const [entries, setEntries] = useState<readonly Entry[]>([]);
  const [counters, setCounters] = useState<Counters>({ rendered: 0, dropped: 0, whilePaused: 0, rate: 0 });
  const [paused, setPaused] = useState(false);
  const [device, setDevice] = useState('');
  const [channel, setChannel] = useState('');
  const [selected, setSelected] = useState<Entry>();
  const [seen, setSeen] = useState({ devices: [] as string[], channels: [] as string[] });
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    const stream: EventStream = openEventStream(app, setState);
    let buffer: Entry[] = [];
    let seq = 0;
    const counts: Counters = { rendered: 0, dropped: 0, whilePaused: 0, rate: 0 };
    const devices = new Set<string>();
    const channels = new Set<string>();
    /** Events per second of the last RATE_SECONDS seconds: [second, count]. */
    const buckets: Array<[number, number]> = [];
    let wasPaused = false;
    let frame = 0;
    const onFrame = () => {
      frame = requestAnimationFrame(onFrame);
      const { events, dropped } = stream.take();
      const now = Math.floor(Date.now() / 1000);
      const last = buckets.at(-1);
      if (last?.[0] === now) last[1] += events.length;
      else buckets.push([now, events.length]);
      while (buckets.length > 0 && buckets[0]![0] <= now - RATE_SECONDS) buckets.shift();
      const rate = Math.round(buckets.reduce((sum, [, n]) => sum + n, 0) / RATE_SECONDS);
      const isPaused = pausedRef.current;
      const resumed = wasPaused && !isPaused;
      wasPaused = isPaused;
      if (events.length === 0 && dropped === 0 && rate === counts.rate && !resumed) return;
      counts.rate = rate;
      counts.dropped += dropped;
      if (events.length > 0) {
        const fresh: Entry[] = [];
        for (let i = events.length - 1; i >= 0 && fresh.length < LIST_LIMIT; i--) {
          fresh.push({ seq: ++seq, event: events[i]! });
        }
        const merged = fresh.length >= LIST_LIMIT ? fresh : fresh.concat(buffer.slice(0, LIST_LIMIT - fresh.length));
        counts.dropped += events.length + buffer.length - merged.length;
        buffer = merged;
        if (isPaused) counts.whilePaused += events.length;
        else counts.rendered += fresh.length;
        const known = devices.size + channels.size;
        for (const { event } of fresh) {
          if (devices.size < SUGGESTIONS) devices.add(event.device);
          if (channels.size < SUGGESTIONS) channels.add(event.subject);
        }
        if (devices.size + channels.size > known)
          setSeen({ devices: [...devices].sort(), channels: [...channels].sort() });
      }
      if (resumed) {
        // What came while paused is rendered now, as far as the list keeps it.
        counts.rendered += Math.min(counts.whilePaused, buffer.length);
        counts.whilePaused = 0;
      }
      if (!isPaused) setEntries(buffer);
      setCounters({ ...counts });
    };
    frame = requestAnimationFrame(onFrame);
    return () => {
      cancelAnimationFrame(frame);
      stream.close();
    };
  }, [app]);

  const shown = useMemo(
    () =>
      entries.filter(
        ({ event }) =>
          (!device.trim() || event.device === device.trim()) && (!channel.trim() || event.subject === channel.trim()),
      ),
    [entries, device, channel],
  );

  return (
    <Page name="events" title="Events" actions={<ConnectionState state={state} />}>
      <div class="toolbar events-toolbar">
        <Filter label="Device" id="event-devices" value={device} onChange={setDevice} suggestions={seen.devices} />
        <Filter label="Channel" id="event-channels" value={channel} onChange={setChannel} suggestions={seen.channels} />
        <button type="button" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span class="events-rate" data-testid="event-rate">
          {counters.rate} events/s
        </span>
      </div>
      <p class="muted events-counts">
        {paused && `Paused: ${counters.whilePaused} new event${counters.whilePaused === 1 ? '' : 's'} not shown. `}
        Showing {shown.length} of the newest {entries.length}
        {counters.dropped > 0 && `; ${counters.dropped} older dropped`}.
      </p>
      <div class="events-layout">
        <EventList entries={shown} rendered={counters.rendered} selected={selected} onSelect={setSelected} />
        {selected && <EventDetail event={selected.event} onClose={() => setSelected(undefined)} />}
      </div>
    </Page>
  );
}

/** A filter field suggesting the names seen so far. */
function Filter({
  label,
  id,
  value,
  onChange,
  suggestions,
}: {
  label: string;
  id: string;
  value: string;
  onChange: (value: string) => void;
  suggestions: readonly string[];
}) {
  return (
    <>
      <label class="inline">
        {label}
        <input
          type="search"
          list={id}
          value={value}
          onInput={(e) => onChange(e.currentTarget.value)}
          placeholder="all"
        />
      </label>
      <datalist id={id}>
        {suggestions.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </>
  );
}

function ConnectionState({ state }: { state: StreamState }) {
  const text =
    state.kind === 'connecting'
      ? 'Connecting…'
      : state.kind === 'live'
        ? 'Live'
        : state.kind === 'reconnecting'
          ? `Reconnecting in ${state.inSeconds}s: ${state.reason}`
          : `Stopped: ${state.reason}`;
  return (
    <span class={`stream-state stream-${state.kind}`} role="status" data-state={state.kind}>
      {text}
    </span>
  );
}

const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hourCycle: 'h23',
});

function timeOf(event: CloudEvent): string {
  const when = new Date(event.time);
  if (Number.isNaN(when.getTime())) return String(event.time);
  return TIME_FORMAT.format(when);
}

/** The first bytes of a payload as one line of text. */
function previewOf(event: CloudEvent): string {
  if (event.data_base64 !== undefined) return `${byteLength(event.data_base64)} bytes`;
  if (event.data === undefined) return '';
  const text = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** Rows rendered beyond those in view, above and below. */
const OVERSCAN = 5;

/**
 * The list, of which only the rows in view are in the document (between two spacers): a frame with a hundred new
 * events changes the text of twenty rows instead of moving five hundred. Rows have one height (measured).
 */
function EventList({
  entries,
  rendered,
  selected,
  onSelect,
}: {
  entries: readonly Entry[];
  rendered: number;
  selected?: Entry;
  onSelect: (entry: Entry) => void;
}) {
  const ref = useRef<HTMLOListElement>(null);
  const [view, setView] = useState({ first: 0, count: 40, rowHeight: 32 });
  useEffect(() => {
    const list = ref.current;
    if (!list) return;
    let frame = 0;
    const update = () => {
      frame = 0;
      const rowHeight = list.querySelector('.event-row')?.getBoundingClientRect().height || 32;
      const first = Math.max(0, Math.floor(list.scrollTop / rowHeight) - OVERSCAN);
      const count = Math.ceil(list.clientHeight / rowHeight) + 2 * OVERSCAN;
      setView((v) =>
        v.first === first && v.count === count && v.rowHeight === rowHeight ? v : { first, count, rowHeight },
      );
    };
    const onScroll = () => {
      frame ||= requestAnimationFrame(update);
    };
    list.addEventListener('scroll', onScroll, { passive: true });
    addEventListener('resize', onScroll);
    update();
    return () => {
      list.removeEventListener('scroll', onScroll);
      removeEventListener('resize', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
  const first = Math.min(view.first, Math.max(0, entries.length - view.count));
  const rows = entries.slice(first, first + view.count);
  const after = entries.length - first - rows.length;
  return (
    <ol class="event-list" ref={ref} data-rendered={rendered} aria-label="Events, newest first">
      {entries.length === 0 && <li class="muted event-empty">No events yet. They appear here as devices send them.</li>}
      {first > 0 && <li class="event-spacer" aria-hidden="true" style={{ height: `${first * view.rowHeight}px` }} />}
      {rows.map((entry, i) => (
        // Keyed by place: the rows in view stay, their text changes.
        <EventRow
          key={i}
          entry={entry}
          position={first + i + 1}
          of={entries.length}
          selected={selected?.seq === entry.seq}
          onSelect={onSelect}
        />
      ))}
      {after > 0 && <li class="event-spacer" aria-hidden="true" style={{ height: `${after * view.rowHeight}px` }} />}
    </ol>
  );
}

interface RowProps {
  entry: Entry;
  /** 1-based, in the whole list (of `of`). */
  position: number;
  of: number;
  selected: boolean;
  onSelect: (entry: Entry) => void;
}

/** A row renders again only when what it shows changes (not for a frame that changed only the rate, say). */
class EventRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const now = this.props;
    return (
      next.entry !== now.entry || next.selected !== now.selected || next.position !== now.position || next.of !== now.of
    );
  }

  override render() {
    const { entry, position, of, selected, onSelect } = this.props;
    const { event } = entry;
    return (
      <li class="event-row" aria-posinset={position} aria-setsize={of}>
        <button type="button" aria-pressed={selected} onClick={() => onSelect(entry)}>
          <span class="event-time mono">{timeOf(event)}</span>
          <span class="event-device">{event.device}</span>
          <span class="event-channel mono">{event.subject}</span>
          <span class="event-preview mono">{previewOf(event)}</span>
        </button>
      </li>
    );
  }
}

function byteLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((base64.length * 3) / 4) - padding);
}

function bytesOf(base64: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** `offset  hex bytes`, 16 a line. */
function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = Array.from(bytes.subarray(at, at + 16), (b) => b.toString(16).padStart(2, '0'));
    lines.push(`${at.toString(16).padStart(6, '0')}  ${row.join(' ')}`);
  }
  return lines.join('\n');
}

function EventDetail({ event, onClose }: { event: CloudEvent; onClose: () => void }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), [event]);
  const { data, data_base64: base64, ...attributes } = event;
  const bytes = base64 === undefined ? undefined : bytesOf(base64);
  return (
    <section
      class="panel event-detail"
      aria-label="Event detail"
      tabIndex={-1}
      ref={ref}
      data-testid="event-detail"
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <header class="dialog-header">
        <h2 class="event-title">
          {event.type} from {event.device}
        </h2>
        <button type="button" class="icon" aria-label="Close the detail" onClick={onClose}>
          ×
        </button>
      </header>
      <h3>Attributes</h3>
      <pre class="event-attributes">{JSON.stringify(attributes, null, 2)}</pre>
      <h3>Data</h3>
      {base64 !== undefined ? (
        bytes ? (
          <>
            <p class="muted">
              {bytes.length} bytes{bytes.length > HEX_LIMIT && `, the first ${HEX_LIMIT} shown`} (hex)
            </p>
            <pre class="event-data" data-testid="event-hex">
              {hexDump(bytes.subarray(0, HEX_LIMIT))}
            </pre>
          </>
        ) : (
          <p class="error">The data is not valid base64.</p>
        )
      ) : data === undefined ? (
        <p class="muted">No data.</p>
      ) : (
        <pre class="event-data" data-testid="event-json">
          {typeof data === 'string' ? data : JSON.stringify(data, null, 2)}
        </pre>
      )}
    </section>
  );
}
