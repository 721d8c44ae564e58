// The devices of an application: a table (virtual beyond 200 rows) built in one pass from one listing and one
// connections request, a name filter, create, and a refresh every 10 s while the page is visible (of the
// connections; of the listing too while it is small: a large one is read again on Refresh).
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { deviceNameProblem } from '../../model/names.js';
import { messageOf } from '../api/client.js';
import { connections, createDevice, type DeviceRow, deviceRows, listDevices, parseLabels } from '../api/devices.js';
import { useResource } from '../api/use-resource.js';
import { href, Link } from '../router.js';
import { Busy, ErrorText, Labels, Page, Time } from '../ui/common.js';
import { Dialog } from '../ui/dialog.js';
import { type Column, Table } from '../ui/table.js';

const REFRESH_MS = 10_000;

/** Up to this many devices, the auto-refresh reads the listing again too. */
const LIST_REFRESH_MAX = 1000;

/** Calls `reload` every `ms` while the page is visible, and at once when it becomes visible again. */
export function useAutoRefresh(reload: () => void, ms = REFRESH_MS): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, ms);
    const onVisible = () => document.visibilityState === 'visible' && reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload, ms]);
}

const none = <span class="muted">none</span>;

function columns(app: string): Column<DeviceRow>[] {
  return [
    { header: 'Name', cell: (r) => <Link href={href('apps', app, 'devices', r.name)}>{r.name}</Link> },
    { header: 'Labels', cell: (r) => <Labels labels={r.labels} />, wide: true },
    { header: 'Connected', cell: (r) => <Connected row={r} /> },
    { header: 'Last seen', cell: (r) => <Time value={r.lastSeen} /> },
    { header: 'Firmware', cell: (r) => r.firmware ?? none, wide: true },
    { header: 'Current', cell: (r) => r.current ?? none, wide: true },
    { header: 'Target', cell: (r) => r.target ?? none, wide: true },
  ];
}

function Connected({ row }: { row: DeviceRow }) {
  if (row.connected === undefined) return <span class="muted">unknown</span>;
  if (row.connected === false) return <span class="muted">no</span>;
  return <span class="ok">yes ({row.connected.protocol})</span>;
}

export function DevicesPage({ app }: { app: string }) {
  const devices = useResource(`devices:${app}`, () => listDevices(app));
  const known = useResource(`connections:${app}`, () => connections(app));
  const count = devices.data?.length ?? 0;
  const reloadAll = useCallback(() => {
    devices.reload();
    known.reload();
  }, [devices.reload, known.reload]);
  useAutoRefresh(count <= LIST_REFRESH_MAX ? reloadAll : known.reload);
  const connectionsKnown = known.data !== undefined || !known.loading;
  const rows = useMemo(
    () => (devices.data && connectionsKnown ? deviceRows(devices.data, known.data) : undefined),
    [devices.data, known.data, connectionsKnown],
  );
  const loading = devices.loading || known.loading;
  const [filter, setFilter] = useState('');
  const [creating, setCreating] = useState(false);
  const shown = useMemo(() => {
    const wanted = filter.trim().toLowerCase();
    const all = rows ?? [];
    return wanted ? all.filter((r) => r.name.toLowerCase().includes(wanted)) : all;
  }, [rows, filter]);
  const cols = useMemo(() => columns(app), [app]);
  return (
    <Page
      name="devices"
      title="Devices"
      actions={
        <>
          <button type="button" onClick={reloadAll} disabled={loading}>
            Refresh
          </button>
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create device
          </button>
        </>
      }
    >
      <div class="toolbar">
        <label class="inline">
          Filter by name
          <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        {rows && (
          <span class="muted" aria-live="polite">
            {shown.length === rows.length
              ? `${rows.length} device${rows.length === 1 ? '' : 's'}`
              : `${shown.length} of ${rows.length} devices`}
          </span>
        )}
      </div>
      <ErrorText error={devices.error ?? known.error} />
      {rows ? (
        <Table
          caption="Devices"
          columns={cols}
          rows={shown}
          rowKey={(r) => r.name}
          empty={filter ? 'No device has such a name.' : 'No devices yet: create one.'}
        />
      ) : (
        loading && <Busy what="Loading the devices" />
      )}
      <CreateDevice app={app} open={creating} onClose={() => setCreating(false)} onCreated={devices.reload} />
    </Page>
  );
}

function CreateDevice({
  app,
  open,
  onClose,
  onCreated,
}: {
  app: string;
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
}) {
  const [name, setName] = useState('');
  const [labels, setLabels] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const nameProblem = deviceNameProblem(name);
    if (nameProblem) return setProblem(nameProblem);
    let parsed: Record<string, string>;
    try {
      parsed = parseLabels(labels);
    } catch (err) {
      return setProblem(messageOf(err));
    }
    setBusy(true);
    setProblem(undefined);
    try {
      await createDevice(app, name, parsed);
      onClose();
      setName('');
      setLabels('');
      onCreated();
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Create device" open={open} onClose={onClose}>
      <form onSubmit={submit}>
        <label for="device-name">Name</label>
        <input id="device-name" value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
        <label for="device-labels">Labels</label>
        <input
          id="device-labels"
          value={labels}
          placeholder="room=kitchen, floor=1"
          onInput={(e) => setLabels(e.currentTarget.value)}
          autoComplete="off"
          aria-describedby="device-labels-hint"
        />
        <p id="device-labels-hint" class="muted">
          key=value pairs, separated by commas
        </p>
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            Create
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
