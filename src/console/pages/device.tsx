// One device: metadata, labels, connection, firmware status, credentials (kinds only, never a secret), the spec
// editor, setting a password (bcrypt in the browser: only the hash is sent) and sending a command.
import { useCallback, useState } from 'preact/hooks';
import { condition, firmwareState, firmwareStatusOf, IN_SYNC, UPDATE_PROGRESS } from '../../model/firmware.js';
import { messageOf } from '../api/client.js';
import {
  type CommandOutcome,
  type CredentialSummary,
  connections,
  credentialSummaries,
  type Device,
  deleteDevice,
  devicePath,
  getDevice,
  hashPassword,
  MAX_PASSWORD_BYTES,
  sendCommand,
  updateDevice,
  withPassword,
} from '../api/devices.js';
import { useResource } from '../api/use-resource.js';
import { href, navigate } from '../router.js';
import { ConfirmForm } from '../ui/action.js';
import { Busy, ErrorText, Labels, Page, Time } from '../ui/common.js';
import { Dialog } from '../ui/dialog.js';
import { SpecEditor } from '../ui/spec-editor.js';
import { useAutoRefresh } from './devices.js';

export function DevicePage({ app, device: name }: { app: string; device: string }) {
  const device = useResource(devicePath(app, name), () => getDevice(app, name));
  const known = useResource(`connections:${app}`, () => connections(app));
  const reload = useCallback(() => {
    device.reload();
    known.reload();
  }, [device.reload, known.reload]);
  useAutoRefresh(reload);
  const [deleting, setDeleting] = useState(false);
  const d = device.data;
  return (
    <Page
      name="device"
      title={name}
      actions={
        <>
          <button type="button" onClick={reload} disabled={device.loading}>
            Refresh
          </button>
          <button type="button" class="danger" onClick={() => setDeleting(true)} disabled={!d}>
            Delete
          </button>
        </>
      }
    >
      <Dialog title={`Delete device ${name}`} open={deleting && d !== undefined} onClose={() => setDeleting(false)}>
        {d && (
          <ConfirmForm
            action="Delete"
            onCancel={() => setDeleting(false)}
            onConfirm={async () => {
              await deleteDevice(d);
              setDeleting(false);
              // Finalizers keep it, as Deleting.
              if ((d.metadata.finalizers ?? []).length === 0) navigate(href('apps', app, 'devices'));
              else device.reload();
            }}
          >
            Delete the device <strong>{name}</strong>? It can no longer connect or send.
            {(d.metadata.finalizers ?? []).length > 0 &&
              ` It stays as Deleting until its finalizers are removed: ${d.metadata.finalizers!.join(', ')}.`}
          </ConfirmForm>
        )}
      </Dialog>
      <ErrorText error={device.error} />
      {!d && device.loading && <Busy what="Loading the device" />}
      {d && (
        <div class="device-grid">
          <section class="panel" aria-labelledby="device-metadata">
            <h2 id="device-metadata">Metadata</h2>
            <Metadata device={d} />
          </section>
          <section class="panel" aria-labelledby="device-connection">
            <h2 id="device-connection">Connection</h2>
            <Connection name={name} known={known.data} loaded={!known.loading || known.data !== undefined} />
          </section>
          <section class="panel" aria-labelledby="device-firmware">
            <h2 id="device-firmware">Firmware</h2>
            <Firmware device={d} />
          </section>
          <section class="panel" aria-labelledby="device-credentials">
            <h2 id="device-credentials">Credentials</h2>
            <Credentials credentials={credentialSummaries(d)} />
            <SetPassword app={app} name={name} onDone={device.reload} />
          </section>
          <section class="panel wide-panel" aria-labelledby="device-spec">
            <h2 id="device-spec">Spec</h2>
            <SpecEditor device={d} onChanged={device.reload} />
          </section>
          <section class="panel wide-panel" aria-labelledby="device-command">
            <h2 id="device-command">Send a command</h2>
            <CommandForm app={app} name={name} />
          </section>
        </div>
      )}
    </Page>
  );
}

function Metadata({ device }: { device: Device }) {
  const { metadata } = device;
  const annotations = Object.entries(metadata.annotations ?? {});
  return (
    <dl class="facts">
      <dt>Application</dt>
      <dd>{metadata.application}</dd>
      <dt>Labels</dt>
      <dd>
        <Labels labels={metadata.labels} />
      </dd>
      <dt>Created</dt>
      <dd>
        <Time value={metadata.creationTimestamp} />
      </dd>
      {metadata.deletionTimestamp && (
        <>
          <dt>Deleting since</dt>
          <dd>
            <Time value={metadata.deletionTimestamp} />
          </dd>
        </>
      )}
      <dt>Generation</dt>
      <dd>{String(metadata.generation ?? 0)}</dd>
      <dt>Resource version</dt>
      <dd class="mono">{metadata.resourceVersion}</dd>
      <dt>UID</dt>
      <dd class="mono">{metadata.uid}</dd>
      {annotations.length > 0 && (
        <>
          <dt>Annotations</dt>
          <dd>
            <ul class="plain">
              {annotations.map(([key, value]) => (
                <li key={key} class="mono">
                  {key}: {value}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

function Connection({
  name,
  known,
  loaded,
}: {
  name: string;
  known: Awaited<ReturnType<typeof connections>>;
  loaded: boolean;
}) {
  if (!loaded) return <Busy />;
  if (!known) return <p class="muted">This server does not tell who is connected.</p>;
  const connection = known.devices[name];
  return (
    <dl class="facts">
      <dt>Connected</dt>
      <dd>
        {connection ? (
          <span class="ok">
            yes ({connection.protocol}), since <Time value={connection.since} />
          </span>
        ) : (
          'no'
        )}
      </dd>
      <dt>Last seen</dt>
      <dd>
        <Time value={known.lastSeen[name] ?? connection?.since} />
      </dd>
    </dl>
  );
}

function Firmware({ device }: { device: Device }) {
  const status = firmwareStatusOf(device);
  if (!status) return <p class="muted">No firmware status reported.</p>;
  const progress = condition(status, UPDATE_PROGRESS);
  return (
    <>
      <dl class="facts">
        <dt>State</dt>
        <dd>{firmwareState(status)}</dd>
        <dt>Current</dt>
        <dd>{status.current ?? <span class="muted">none</span>}</dd>
        <dt>Target</dt>
        <dd>{status.target ?? <span class="muted">none</span>}</dd>
        <dt>In sync</dt>
        <dd>{condition(status, IN_SYNC)?.status ?? 'Unknown'}</dd>
        {progress?.reason && (
          <>
            <dt>Progress</dt>
            <dd>
              {progress.reason}
              {progress.message ? ` ${progress.message}` : ''}
            </dd>
          </>
        )}
      </dl>
      {status.conditions && status.conditions.length > 0 && (
        <table class="conditions">
          <caption class="visually-hidden">Firmware conditions</caption>
          <thead>
            <tr>
              <th scope="col">Condition</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {status.conditions.map((c) => (
              <tr key={c.type}>
                <td>{c.type}</td>
                <td>{c.status}</td>
                <td>{[c.reason, c.message].filter(Boolean).join(': ')}</td>
                <td>
                  <Time value={c.lastTransitionTime} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const CREDENTIAL_WORDS: Record<string, string> = {
  pass: 'password set',
  user: 'user name and password',
  psk: 'pre-shared key set',
  cert: 'X.509 certificate',
};

function Credentials({ credentials }: { credentials: CredentialSummary[] }) {
  if (credentials.length === 0) return <p class="muted">No credentials: the device cannot connect with a password.</p>;
  return (
    <ul class="plain" aria-label="Credentials">
      {credentials.map((c, i) => (
        <li key={i}>
          {CREDENTIAL_WORDS[c.kind] ?? c.kind}
          {c.username !== undefined && (
            <>
              {': '}
              <span class="mono">{c.username}</span> (password set)
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function SetPassword({ app, name, onDone }: { app: string; name: string; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(false);
    setProblem(undefined);
    if (password === '') return setProblem(new Error('The password must not be empty.'));
    if (password !== again) return setProblem(new Error('The two passwords differ.'));
    if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
      return setProblem(new Error(`The password is longer than ${MAX_PASSWORD_BYTES} bytes, more than bcrypt takes.`));
    }
    setBusy(true);
    try {
      const hash = await hashPassword(password);
      // Read, change, write with that resourceVersion: a change made in between is a conflict, never lost.
      const current = await getDevice(app, name);
      await updateDevice(withPassword(current, hash));
      setPassword('');
      setAgain('');
      setDone(true);
      onDone();
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="set-password" aria-labelledby="set-password">
      <h3 id="set-password">Set password</h3>
      <label for="new-password">New password</label>
      <input
        id="new-password"
        type="password"
        autoComplete="new-password"
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <label for="new-password-again">Repeat the password</label>
      <input
        id="new-password-again"
        type="password"
        autoComplete="new-password"
        value={again}
        onInput={(e) => setAgain(e.currentTarget.value)}
      />
      <p class="muted">Hashed here (bcrypt) before it is sent: the server never sees the password.</p>
      <ErrorText error={problem} />
      {done && (
        <p class="ok" role="status">
          Password set.
        </p>
      )}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Setting…' : 'Set password'}
        </button>
      </div>
    </form>
  );
}

const CONTENT_TYPES = ['application/json', 'text/plain', 'application/octet-stream'];

function CommandForm({ app, name }: { app: string; name: string }) {
  const [command, setCommand] = useState('');
  const [payload, setPayload] = useState('');
  const [contentType, setContentType] = useState('application/json');
  const [outcome, setOutcome] = useState<{ command: string; result: CommandOutcome }>();
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setOutcome(undefined);
    setProblem(undefined);
    if (command.trim() === '') return setProblem(new Error('Give the command a name.'));
    if (payload !== '' && contentType.trim() === '') return setProblem(new Error('Give the payload a content type.'));
    if (payload !== '' && /json/.test(contentType)) {
      try {
        JSON.parse(payload);
      } catch (err) {
        return setProblem(new Error(`The payload is not JSON (${messageOf(err)}): fix it or change the content type.`));
      }
    }
    setBusy(true);
    try {
      const body = payload === '' ? undefined : { text: payload, contentType: contentType.trim() };
      setOutcome({ command, result: await sendCommand(app, name, command, body) });
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="command-form">
      <label for="command-name">Command</label>
      <input
        id="command-name"
        value={command}
        placeholder="set-interval"
        autoComplete="off"
        onInput={(e) => setCommand(e.currentTarget.value)}
      />
      <label for="command-payload">Payload (optional)</label>
      <textarea
        id="command-payload"
        class="short"
        spellcheck={false}
        value={payload}
        placeholder='{"seconds": 30}'
        onInput={(e) => setPayload(e.currentTarget.value)}
      />
      <label for="command-type">Content type</label>
      <input
        id="command-type"
        list="command-types"
        value={contentType}
        onInput={(e) => setContentType(e.currentTarget.value)}
      />
      <datalist id="command-types">
        {CONTENT_TYPES.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <p class="muted">
        The device gets it only if it listens now (MQTT subscribed, or HTTP waiting): nothing is stored.
      </p>
      <ErrorText error={problem} />
      {outcome && <CommandResult {...outcome} />}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Send command
        </button>
      </div>
    </form>
  );
}

const REFUSALS: Record<number, string> = {
  406: 'Refused (406 Not Acceptable)',
  503: 'Not dispatched (503 Service Unavailable)',
};

function CommandResult({ command, result }: { command: string; result: CommandOutcome }) {
  if (result.dispatched) {
    return (
      <p class="ok" role="status" data-testid="command-result">
        Dispatched (202): command {command} goes to the device and its gateways that listen now.
      </p>
    );
  }
  return (
    <p class="error" role="status" data-testid="command-result">
      {REFUSALS[result.status] ?? `Refused (${result.status})`}: {result.message}
    </p>
  );
}
