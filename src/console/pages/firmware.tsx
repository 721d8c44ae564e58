// Firmware of an application: the images in drg serve's store (and an upload), and the rollout: its stages as a
// progress chart, each device's part, and the operator's buttons, which write what `drg firmware pause|resume|
// cancel|retry` writes. Polled every 2 s while the page is visible.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ImageInfo } from '../../model/firmware.js';
import { hasRunningRollout, type RolloutCounts } from '../../model/rollout.js';
import { DEFAULT_PLAN, type Plan, parseAmount } from '../../model/rollout-plan.js';
import { type DeviceView, overallPercent, type RolloutView } from '../../model/rollout-view.js';
import { parseSelector } from '../../model/selector.js';
import { formatByteSize, parseDuration } from '../../model/units.js';
import {
  controlRollout,
  listImages,
  loadRollout,
  planFor,
  type RolloutAction,
  type RolloutState,
  startRollout,
  uploadImage,
} from '../api/firmware.js';
import { useResource } from '../api/use-resource.js';
import { useAction } from '../ui/action.js';
import { Busy, ErrorText, Page, Time } from '../ui/common.js';
import { Dialog } from '../ui/dialog.js';
import { type Column, Table } from '../ui/table.js';

const POLL_MS = 2_000;

/** Calls `tick` every POLL_MS while the page is visible, and at once when it becomes visible again. */
function usePolling(tick: () => void): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') tick();
    }, POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') tick();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [tick]);
}

export function FirmwarePage({ app }: { app: string }) {
  const images = useResource<ImageInfo[]>(`firmware-images:${app}`, () => listImages(app));
  const rollout = useResource<RolloutState>(`rollout:${app}`, () => loadRollout(app));
  usePolling(rollout.reload);
  return (
    <Page name="firmware" title="Firmware">
      <section aria-labelledby="rollout-heading">
        <h2 id="rollout-heading">Rollout</h2>
        {rollout.data === undefined ? (
          rollout.loading ? (
            <Busy />
          ) : (
            <ErrorText error={rollout.error} />
          )
        ) : (
          <>
            {rollout.error !== undefined && <ErrorText error={rollout.error} />}
            {rollout.data.view ? (
              <Rollout
                key={rollout.data.view.spec.id}
                app={app}
                view={rollout.data.view}
                targets={rollout.data.targets}
                onChange={rollout.reload}
              />
            ) : (
              <p class="muted">No rollout yet.</p>
            )}
            {!hasRunningRollout(rollout.data.app) && (
              <StartRollout app={app} images={images.data ?? []} onStarted={rollout.reload} />
            )}
          </>
        )}
      </section>
      <section aria-labelledby="images-heading">
        <h2 id="images-heading">Images</h2>
        <ErrorText error={images.error} />
        {images.loading && !images.data ? <Busy /> : <Images images={images.data ?? []} />}
        <Upload app={app} onUploaded={images.reload} />
      </section>
    </Page>
  );
}

const IMAGE_COLUMNS: Column<ImageInfo>[] = [
  { header: 'Name', cell: (i) => i.name },
  { header: 'Version', cell: (i) => i.version },
  { header: 'Size', cell: (i) => formatByteSize(i.size) },
  {
    header: 'Checksum',
    cell: (i) => (
      <span class="mono" title={i.checksum}>
        {shortChecksum(i.checksum)}
      </span>
    ),
    wide: true,
  },
  { header: 'Uploaded', cell: (i) => <Time value={i.created} />, wide: true },
];

function shortChecksum(checksum: string): string {
  const [algorithm, hex = ''] = checksum.split(':');
  return `${algorithm}:${hex.slice(0, 12)}…`;
}

function Images({ images }: { images: ImageInfo[] }) {
  return (
    <Table
      caption="Firmware images in the store"
      columns={IMAGE_COLUMNS}
      rows={images}
      rowKey={(i) => `${i.name}\u0000${i.version}`}
      empty="No images yet: upload one here or with drg firmware push."
    />
  );
}

function Upload({ app, onUploaded }: { app: string; onUploaded: () => void }) {
  const { busy, error, run } = useAction();
  const [done, setDone] = useState('');
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const file = data.get('file');
    const name = String(data.get('name') ?? '').trim();
    const version = String(data.get('version') ?? '').trim();
    setDone('');
    void run(async () => {
      if (!(file instanceof File) || file.size === 0) throw new Error('Choose a non-empty file.');
      const info = await uploadImage(app, name, version, file);
      setDone(`Uploaded ${info.name} ${info.version} (${formatByteSize(info.size)}).`);
      form.reset();
      onUploaded();
    });
  };
  return (
    <details class="panel firmware-upload">
      <summary>Upload an image</summary>
      <form onSubmit={onSubmit}>
        <div class="row">
          <label>
            Name <input name="name" required maxLength={128} pattern="[!-.0-\[\]-~]+" />
          </label>
          <label>
            Version <input name="version" required maxLength={128} pattern="[!-.0-\[\]-~]+" />
          </label>
          <label>
            File <input name="file" type="file" required />
          </label>
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Uploading…' : 'Upload'}
        </button>
        <ErrorText error={error} />
        {done && (
          <p class="ok" role="status">
            {done}
          </p>
        )}
      </form>
    </details>
  );
}

const STATE_TEXT: Record<DeviceView['state'], string> = {
  pending: 'pending',
  updating: 'updating',
  'in-sync': 'in sync',
  failed: 'failed',
};

function Rollout({
  app,
  view,
  targets,
  onChange,
}: {
  app: string;
  view: RolloutView;
  targets: Map<string, string | undefined>;
  onChange: () => void;
}) {
  const { spec, status } = view;
  const phase = status?.phase ?? (spec.cancelled ? 'Cancelling' : 'Waiting for the agent');
  const percent = overallPercent(view);
  const deviceColumns: Column<DeviceView>[] = [
    { header: 'Device', cell: (d) => d.name },
    { header: 'Stage', cell: (d) => (d.stage === 1 ? '1 (canary)' : String(d.stage)), wide: true },
    { header: 'Current', cell: (d) => d.current ?? <span class="muted">unknown</span> },
    { header: 'Target', cell: (d) => targets.get(d.name) ?? <span class="muted">none</span>, wide: true },
    {
      header: 'State',
      cell: (d) => (
        <span class={`rollout-state state-${d.state}`} title={d.reason}>
          {STATE_TEXT[d.state]}
          {d.state === 'failed' && d.reason ? `: ${d.reason}` : ''}
        </span>
      ),
    },
    { header: 'Progress', cell: (d) => <DeviceProgress device={d} /> },
  ];
  return (
    <div class="rollout" data-phase={phase}>
      <div class="panel">
        <p class="rollout-summary">
          <strong>{spec.id}</strong>: version <strong>{spec.version}</strong>, {view.devices.length} device
          {view.devices.length === 1 ? '' : 's'} in {spec.stages.length} stage{spec.stages.length === 1 ? '' : 's'}
          {' · '}
          <span class="rollout-phase" data-testid="rollout-phase">
            {phase}
          </span>
          {status?.reason && <span class="muted"> ({status.reason})</span>}
        </p>
        <RolloutControls app={app} view={view} onChange={onChange} />
        <div class="rollout-chart">
          <ProgressBar
            label="Overall"
            counts={view.counts}
            total={view.devices.length}
            percent={percent}
            updating={averageProgress(view.devices)}
            testid="rollout-overall"
          />
          {view.stages.map((stage) => {
            const devices = view.devices.filter((d) => d.stage === stage.stage);
            return (
              <ProgressBar
                key={stage.stage}
                label={`Stage ${stage.stage}${stage.stage === 1 ? ' (canary)' : ''}`}
                counts={stage.counts}
                total={stage.devices}
                percent={overallPercent({ devices })}
                updating={averageProgress(devices)}
                note={stage.started ? <Time value={stage.started} /> : 'not started'}
              />
            );
          })}
        </div>
      </div>
      <h3>Devices</h3>
      <Table caption="Devices of the rollout" columns={deviceColumns} rows={view.devices} rowKey={(d) => d.name} />
    </div>
  );
}

/** The mean progress of the updating devices, when there are any. */
function averageProgress(devices: readonly DeviceView[]): number | undefined {
  const updating = devices.filter((d) => d.state === 'updating');
  if (updating.length === 0) return undefined;
  return Math.round(updating.reduce((sum, d) => sum + (d.percent ?? 0), 0) / updating.length);
}

const SEGMENTS: Array<[keyof RolloutCounts, string]> = [
  ['inSync', 'in sync'],
  ['updating', 'updating'],
  ['failed', 'failed'],
  ['pending', 'pending'],
];

function ProgressBar({
  label,
  counts,
  total,
  percent,
  updating,
  note,
  testid,
}: {
  label: string;
  counts: RolloutCounts;
  total: number;
  percent: number;
  updating?: number;
  note?: JSX.Element | string;
  testid?: string;
}) {
  const legend = SEGMENTS.map(([key, text]) =>
    key === 'updating' && counts.updating > 0 && updating !== undefined
      ? `${counts.updating} ${text} (${updating}%)`
      : `${counts[key]} ${text}`,
  ).join(', ');
  return (
    <div class="progress" data-testid={testid} data-percent={percent}>
      <div class="progress-label">
        <span class="progress-name">{label}</span>
        <span class="progress-percent">{percent}%</span>
        {note && <span class="muted progress-note">{note}</span>}
      </div>
      <div class="progress-bar" role="img" aria-label={`${label}: ${percent}%, ${legend}`}>
        {total > 0 &&
          SEGMENTS.map(([key]) =>
            counts[key] > 0 ? (
              <span key={key} class={`segment segment-${key}`} style={{ width: `${(counts[key] / total) * 100}%` }} />
            ) : null,
          )}
      </div>
      <p class="progress-legend muted">{legend}</p>
    </div>
  );
}

function DeviceProgress({ device }: { device: DeviceView }) {
  const value = device.state === 'in-sync' ? 100 : device.state === 'updating' ? (device.percent ?? 0) : 0;
  return (
    <span class="device-progress">
      <progress max={100} value={value} aria-label={`${device.name}: ${value}%`} /> {value}%
    </span>
  );
}

function RolloutControls({ app, view, onChange }: { app: string; view: RolloutView; onChange: () => void }) {
  const [busy, setBusy] = useState<RolloutAction>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const [confirming, setConfirming] = useState(false);
  const phase = view.status?.phase;
  const finished = phase === 'Completed' || phase === 'Cancelled' || view.spec.cancelled === true;
  const paused = view.spec.paused === true || phase === 'Paused';
  const act = async (action: RolloutAction) => {
    setConfirming(false);
    setBusy(action);
    setError(undefined);
    setDone('');
    try {
      setDone(await controlRollout(app, action));
      onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div class="toolbar rollout-controls">
      <button type="button" disabled={busy !== undefined || finished || paused} onClick={() => act('pause')}>
        Pause
      </button>
      <button type="button" disabled={busy !== undefined || finished || !paused} onClick={() => act('resume')}>
        Resume
      </button>
      <button
        type="button"
        disabled={busy !== undefined || finished || view.counts.failed === 0}
        onClick={() => act('retry')}
      >
        Retry failed
      </button>
      <button
        type="button"
        class="danger"
        disabled={busy !== undefined || finished || phase === 'Failed'}
        onClick={() => setConfirming(true)}
      >
        Cancel rollout
      </button>
      {busy && <Busy what={`${busy[0]!.toUpperCase()}${busy.slice(1)}`} />}
      {done && (
        <span class="ok" role="status">
          {done}
        </span>
      )}
      <ErrorText error={error} />
      <Dialog title="Cancel the rollout?" open={confirming} onClose={() => setConfirming(false)}>
        <p>
          Rollout {view.spec.id} stops: the {view.counts.inSync} device{view.counts.inSync === 1 ? '' : 's'} already on{' '}
          {view.spec.version} keep it, the others get the firmware they had before.
        </p>
        <div class="row">
          <button type="button" class="danger" onClick={() => act('cancel')}>
            Cancel the rollout
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it running
          </button>
        </div>
      </Dialog>
    </div>
  );
}

function StartRollout({ app, images, onStarted }: { app: string; images: ImageInfo[]; onStarted: () => void }) {
  const { busy, error, run } = useAction();
  const [done, setDone] = useState('');
  /** The plan shown for confirmation, before anything is written. */
  const [plan, setPlan] = useState<Plan>();
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: string) => String(data.get(name) ?? '').trim();
    setDone('');
    const image = images[Number(field('image'))];
    const amount = (label: string, text: string, allowZero = false) => {
      const value = parseAmount(text);
      if (!value || (!allowZero && ('count' in value ? value.count : value.percent) === 0)) {
        throw new Error(`${label} must be a number of devices or a percentage (5, 10%), not "${text}"`);
      }
      return value;
    };
    void run(async () => {
      if (!image) throw new Error('Choose an image (upload one first).');
      const selector = field('selector');
      if (selector) parseSelector(selector);
      const threshold = Number(field('threshold').replace(/%$/, ''));
      if (!(threshold > 0 && threshold <= 100))
        throw new Error('The success threshold must be above 0% and at most 100%.');
      const timeoutMs = parseDuration(field('timeout'));
      if (timeoutMs === undefined || timeoutMs < 1000) {
        throw new Error('The timeout must be a duration of at least 1s (90s, 10m, 2h).');
      }
      setPlan(
        await planFor(app, {
          name: image.name,
          version: image.version,
          ...(selector && { selector }),
          canary: amount('The canary', field('canary')),
          batchSize: amount('The batch size', field('batch')),
          successThreshold: threshold,
          maxFailures: amount('The failures tolerated', field('failures'), true),
          timeoutSeconds: Math.round(timeoutMs / 1000),
        }),
      );
    });
  };
  const start = () =>
    run(async () => {
      if (!plan) return;
      setDone(await startRollout(app, plan));
      setPlan(undefined);
      onStarted();
    });
  return (
    <details class="panel start-rollout">
      <summary>Start a rollout</summary>
      <form onSubmit={onSubmit}>
        <p class="muted">
          The devices of the application (or those the selector picks), in stages: the canary group first, then batches
          (as drg firmware rollout). You see the plan before anything starts.
        </p>
        <div class="row">
          <label for="rollout-image">Image</label>
          <select id="rollout-image" name="image" required onChange={() => setPlan(undefined)}>
            {images.map((image, index) => (
              <option key={`${image.name}\u0000${image.version}`} value={String(index)}>
                {image.name} {image.version}
              </option>
            ))}
          </select>
          <label>
            Selector <input name="selector" placeholder="all devices" size={14} onInput={() => setPlan(undefined)} />
          </label>
          <label>
            Canary <input name="canary" defaultValue={amountText(DEFAULT_PLAN.canary)} size={6} />
          </label>
          <label>
            Batch size <input name="batch" defaultValue={amountText(DEFAULT_PLAN.batchSize)} size={6} />
          </label>
          <label>
            Success threshold <input name="threshold" defaultValue={`${DEFAULT_PLAN.successThreshold}%`} size={6} />
          </label>
          <label>
            Failures tolerated <input name="failures" defaultValue={amountText(DEFAULT_PLAN.maxFailures)} size={6} />
          </label>
          <label>
            Timeout <input name="timeout" defaultValue={`${DEFAULT_PLAN.timeoutSeconds / 60}m`} size={6} />
          </label>
        </div>
        <button type="submit" disabled={busy || images.length === 0}>
          {busy && !plan ? 'Planning…' : plan ? 'Plan again' : 'Review the plan'}
        </button>
        {plan && <PlanSummary plan={plan} busy={busy} onStart={start} onCancel={() => setPlan(undefined)} />}
        <ErrorText error={error} />
        {done && (
          <p class="ok" role="status">
            {done}
          </p>
        )}
      </form>
    </details>
  );
}

/** What a rollout would do, as drg firmware rollout shows it before asking. */
function PlanSummary({
  plan,
  busy,
  onStart,
  onCancel,
}: {
  plan: Plan;
  busy: boolean;
  onStart: () => void;
  onCancel: () => void;
}) {
  const { spec, alreadyInSync, fromVersions } = plan;
  const total = spec.stages.flat().length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (
    <section class="rollout-plan" aria-label="Rollout plan">
      <p>
        {`${spec.version} to ${plural(total, 'device')}${spec.selector ? ` with labels ${spec.selector}` : ''}, in ${plural(spec.stages.length, 'stage')}. `}
        {alreadyInSync.length > 0 && `${plural(alreadyInSync.length, 'device')} already run it. `}
        {fromVersions.size > 0 && `From ${[...fromVersions].map(([version, n]) => `${version} (${n})`).join(', ')}. `}
        {`Each stage must reach ${Math.round(spec.successThreshold * 100)}% in sync within ${spec.timeoutSeconds}s; `}
        {`${plural(spec.maxFailures, 'failure')} tolerated.`}
      </p>
      <ol class="plain">
        {spec.stages.map((stage, index) => (
          <li key={index}>
            {`${index === 0 ? 'Canary' : `Stage ${index + 1}`}: ${plural(stage.length, 'device')} (${stage.slice(0, 5).join(', ')}${stage.length > 5 ? ', …' : ''})`}
          </li>
        ))}
      </ol>
      <div class="row">
        <button type="button" class="primary" disabled={busy} onClick={onStart}>
          {busy ? 'Starting…' : 'Start rollout'}
        </button>
        <button type="button" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}

function amountText(amount: { count: number } | { percent: number }): string {
  return 'count' in amount ? String(amount.count) : `${amount.percent}%`;
}
