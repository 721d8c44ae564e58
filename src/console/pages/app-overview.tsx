// An application: its metadata, labels (added and removed with a PUT of the whole resource and its resourceVersion),
// annotations, trust anchors and their validity, members and roles (admin API), and ownership transfer. Credentials
// and secrets are never shown.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { MEMBER_ROLES, type MemberRole } from '../../model/members.js';
import type { Application } from '../../model/resource.js';
import type { TrustAnchorEntry } from '../../model/trust-anchors.js';
import {
  acceptTransfer,
  cancelTransfer,
  getApp,
  getMembers,
  getTransfer,
  type Members,
  setMembers,
  startTransfer,
  updateApp,
} from '../api/apps.js';
import { ApiError, writeChange } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { sessionState } from '../auth/session.js';
import { changedLabels, parseLabelList } from '../ui/app-labels.js';
import { Busy, ErrorText, Page, Time } from '../ui/common.js';
import { type Column, Table } from '../ui/table.js';
import { AppState } from './apps.js';

const CHANGED_ELSEWHERE = 'It changed elsewhere meanwhile: your change was made to the current version.';

export function AppOverviewPage({ app }: { app: string }) {
  const loaded = useResource(`app/${app}`, () => getApp(app));
  const resource = loaded.data;
  return (
    <Page name="app-overview" title={app}>
      <ErrorText error={loaded.error} />
      {!resource ? (
        loaded.loading && <Busy />
      ) : (
        <div class="app-overview">
          <AppDetails app={resource} />
          <AppLabels app={resource} reload={loaded.reload} />
          <AppAnnotations app={resource} />
          <TrustAnchors app={resource} />
          <AppMembers app={app} />
          <OwnershipTransfer app={app} />
        </div>
      )}
    </Page>
  );
}

function AppDetails({ app }: { app: Application }) {
  const { uid, creationTimestamp, generation, resourceVersion } = app.metadata;
  return (
    <section class="panel" aria-labelledby="app-details">
      <h2 id="app-details">Details</h2>
      <dl class="app-meta">
        <dt>State</dt>
        <dd>
          <AppState app={app} />
        </dd>
        <dt>UID</dt>
        <dd class="mono">{uid}</dd>
        <dt>Created</dt>
        <dd>
          <Time value={creationTimestamp} /> <span class="muted mono">{creationTimestamp}</span>
        </dd>
        <dt>Generation</dt>
        <dd>{generation ?? 0}</dd>
        <dt>Resource version</dt>
        <dd class="mono">{resourceVersion}</dd>
      </dl>
    </section>
  );
}

/** The labels with a remove button each, and a form adding `k=v,...`; a stale write is made again on the fresh one. */
function AppLabels({ app, reload }: { app: Application; reload: () => void }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const name = app.metadata.name;
  const change = async (set: Record<string, string>, remove: string[]) => {
    setBusy(true);
    setProblem(undefined);
    setNotice('');
    const relabel = (base: Application): Application => {
      const labels = changedLabels(base.metadata.labels, set, remove);
      const { labels: _old, ...metadata } = base.metadata;
      return { ...base, metadata: Object.keys(labels).length > 0 ? { ...metadata, labels } : metadata };
    };
    try {
      const { retried } = await writeChange(app, relabel, updateApp, () => getApp(name));
      setNotice(retried ? CHANGED_ELSEWHERE : 'Labels saved.');
      setText('');
      reload();
    } catch (err) {
      setProblem(err);
      reload();
    } finally {
      setBusy(false);
    }
  };
  const add = (event: Event) => {
    event.preventDefault();
    let set: Record<string, string>;
    try {
      set = parseLabelList(text);
    } catch (err) {
      setProblem(err);
      return;
    }
    if (Object.keys(set).length === 0) {
      setProblem(new Error('give a label as key=value'));
      return;
    }
    void change(set, []);
  };
  const labels = Object.entries(app.metadata.labels ?? {});
  return (
    <section class="panel" aria-labelledby="app-labels">
      <h2 id="app-labels">Labels</h2>
      {labels.length === 0 ? (
        <p class="muted">No labels.</p>
      ) : (
        <ul class="labels app-labels">
          {labels.map(([key, value]) => (
            <li key={key} class="label">
              <span>{value === '' ? key : `${key}=${value}`}</span>
              <button
                type="button"
                class="icon"
                aria-label={`Remove label ${key}`}
                disabled={busy}
                onClick={() => change({}, [key])}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="toolbar" onSubmit={add}>
        <label class="inline" for="app-label-add">
          Add labels
        </label>
        <input
          id="app-label-add"
          class="mono"
          value={text}
          placeholder="env=prod,team=edge"
          autoComplete="off"
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Add
        </button>
      </form>
      <ErrorText error={problem} />
      {notice && <p role="status">{notice}</p>}
    </section>
  );
}

function AppAnnotations({ app }: { app: Application }) {
  const annotations = Object.entries(app.metadata.annotations ?? {});
  if (annotations.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="app-annotations">
      <h2 id="app-annotations">Annotations</h2>
      <dl class="app-meta">
        {annotations.map(([key, value]) => (
          <Fragment key={key}>
            <dt class="mono">{key}</dt>
            <dd class="mono">{value}</dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}

interface AnchorRow {
  index: number;
  entry?: TrustAnchorEntry;
}

/** Valid, Expired, Not yet valid (by the time now) or Invalid with the server's reason; not validated yet. */
function anchorState(entry: TrustAnchorEntry | undefined, now: number): { text: string; tone: string } {
  if (!entry) return { text: 'Not validated yet', tone: 'muted' };
  if ('invalid' in entry) return { text: `Invalid: ${entry.invalid.message}`, tone: 'error' };
  if (now < Date.parse(entry.valid.notBefore)) return { text: 'Not yet valid', tone: 'warn' };
  if (now > Date.parse(entry.valid.notAfter)) return { text: 'Expired', tone: 'error' };
  return { text: 'Valid', tone: 'ok' };
}

function TrustAnchors({ app }: { app: Application }) {
  const spec = app.spec?.trustAnchors as { anchors?: unknown[] } | undefined;
  const status = app.status?.trustAnchors as { anchors?: TrustAnchorEntry[] } | undefined;
  const count = Array.isArray(spec?.anchors) ? spec.anchors.length : 0;
  const rows: AnchorRow[] = Array.from({ length: count }, (_, index) => ({ index, entry: status?.anchors?.[index] }));
  const now = Date.now();
  const valid = (row: AnchorRow) => (row.entry && 'valid' in row.entry ? row.entry.valid : undefined);
  const columns: Column<AnchorRow>[] = [
    { header: '#', cell: (row) => row.index + 1 },
    { header: 'Subject', cell: (row) => valid(row)?.subject ?? '' },
    {
      header: 'State',
      cell: (row) => {
        const state = anchorState(row.entry, now);
        return (
          <span class={state.tone} title={state.text}>
            {state.text}
          </span>
        );
      },
    },
    { header: 'Not before', cell: (row) => <UtcTime value={valid(row)?.notBefore} />, wide: true },
    { header: 'Not after', cell: (row) => <UtcTime value={valid(row)?.notAfter} /> },
  ];
  return (
    <section class="panel" aria-labelledby="app-anchors">
      <h2 id="app-anchors">Trust anchors</h2>
      {count === 0 ? (
        <p class="muted">
          No trust anchors: devices cannot log in with X.509 certificates. Add one with{' '}
          <code>drg create app-cert --app {app.metadata.name}</code>.
        </p>
      ) : (
        <Table caption="Trust anchors" columns={columns} rows={rows} rowKey={(row) => String(row.index)} />
      )}
    </section>
  );
}

function UtcTime({ value }: { value?: string }) {
  return value ? <time dateTime={value}>{value.replace('T', ' ').replace('Z', ' UTC')}</time> : null;
}

/** The members and their roles: only the owner and admins may read them (others get 403 or 404). */
function AppMembers({ app }: { app: string }) {
  const loaded = useResource(`members/${app}`, () => getMembers(app));
  const [problem, setProblem] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const members = loaded.data;
  const change = async (what: string, modify: (m: Members) => Members) => {
    if (!members) return;
    setBusy(true);
    setProblem(undefined);
    setNotice('');
    try {
      const { retried } = await writeChange(
        members,
        modify,
        (m) => setMembers(app, m),
        () => getMembers(app),
      );
      setNotice(retried ? CHANGED_ELSEWHERE : what);
      loaded.reload();
    } catch (err) {
      setProblem(err);
      loaded.reload();
    } finally {
      setBusy(false);
    }
  };
  const setRole = (user: string, role: MemberRole) =>
    change(`${user} is now ${role}.`, (m) => ({ ...m, members: { ...m.members, [user]: { role } } }));
  const remove = (user: string) =>
    change(`${user} was removed.`, (m) => {
      const { [user]: _removed, ...rest } = m.members;
      return { ...m, members: rest };
    });

  const refused = loaded.error instanceof ApiError && (loaded.error.status === 403 || loaded.error.status === 404);
  const rows = Object.entries(members?.members ?? {}).map(([user, { role }]) => ({ user, role }));
  const columns: Column<{ user: string; role: MemberRole }>[] = [
    { header: 'User', cell: (m) => m.user },
    {
      header: 'Role',
      cell: (m) => (
        <RoleSelect
          label={`Role of ${m.user}`}
          value={m.role}
          disabled={busy}
          onChange={(role) => setRole(m.user, role)}
        />
      ),
    },
    {
      header: 'Actions',
      cell: (m) => (
        <button
          type="button"
          class="danger apps-row-button"
          aria-label={`Remove member ${m.user}`}
          disabled={busy}
          onClick={() => remove(m.user)}
        >
          Remove
        </button>
      ),
    },
  ];
  return (
    <section class="panel" aria-labelledby="app-members">
      <h2 id="app-members">Members</h2>
      {refused ? (
        <p class="muted">Only the owner and the application's admins see and change its members.</p>
      ) : (
        <>
          <ErrorText error={loaded.error} />
          {members && (
            <>
              <Table
                caption="Members"
                columns={columns}
                rows={rows}
                rowKey={(m) => m.user}
                empty="No members: only the owner has access."
              />
              <AddMember busy={busy} onAdd={setRole} />
            </>
          )}
          <ErrorText error={problem} />
          {notice && <p role="status">{notice}</p>}
        </>
      )}
    </section>
  );
}

function AddMember({ busy, onAdd }: { busy: boolean; onAdd: (user: string, role: MemberRole) => Promise<void> }) {
  const [user, setUser] = useState('');
  const [role, setRole] = useState<MemberRole>('reader');
  const [problem, setProblem] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const name = user.trim();
    if (name === '') return setProblem('give the user');
    setProblem('');
    await onAdd(name, role);
    setUser('');
  };
  return (
    <form class="toolbar app-add-member" onSubmit={submit}>
      <label class="inline" for="member-user">
        User
      </label>
      <input id="member-user" value={user} autoComplete="off" onInput={(e) => setUser(e.currentTarget.value)} />
      <RoleSelect label="Role" id="member-role" value={role} onChange={setRole} />
      <button type="submit" disabled={busy}>
        Add member
      </button>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function RoleSelect({
  label,
  id,
  value,
  disabled,
  onChange,
}: {
  label: string;
  id?: string;
  value: MemberRole;
  disabled?: boolean;
  onChange: (role: MemberRole) => void;
}) {
  const select = (
    <select
      id={id}
      aria-label={id ? undefined : label}
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.currentTarget.value as MemberRole)}
    >
      {MEMBER_ROLES.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </select>
  );
  if (!id) return select;
  return (
    <>
      <label class="inline" for={id}>
        {label}
      </label>
      {select}
    </>
  );
}

/** The owner offers the application to another user, who accepts (or declines) here; others see nothing. */
function OwnershipTransfer({ app }: { app: string }) {
  const loaded = useResource(`transfer/${app}`, () => getTransfer(app));
  const [newUser, setNewUser] = useState('');
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const session = sessionState();
  const me = session.kind === 'logged-in' ? session.user : undefined;
  if (loaded.error instanceof ApiError && loaded.error.status === 404) return null;
  const act = (action: () => Promise<void>) => async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      await action();
      setNewUser('');
      loaded.reload();
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  const pending = loaded.data;
  const offer = (event: Event) => {
    event.preventDefault();
    const user = newUser.trim();
    if (user === '') return setProblem(new Error('give the user to transfer the application to'));
    void act(() => startTransfer(app, user))();
  };
  return (
    <section class="panel" aria-labelledby="app-transfer">
      <h2 id="app-transfer">Ownership</h2>
      {loaded.loading && loaded.data === undefined && !loaded.error ? (
        <Busy />
      ) : pending === undefined ? (
        <form class="toolbar" onSubmit={offer}>
          <label class="inline" for="transfer-user">
            Transfer to
          </label>
          <input
            id="transfer-user"
            value={newUser}
            autoComplete="off"
            onInput={(e) => setNewUser(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            Transfer ownership
          </button>
        </form>
      ) : pending === me ? (
        <div class="toolbar">
          <p>This application is offered to you.</p>
          <button type="button" class="primary" disabled={busy} onClick={act(() => acceptTransfer(app))}>
            Accept ownership
          </button>
          <button type="button" disabled={busy} onClick={act(() => cancelTransfer(app))}>
            Decline
          </button>
        </div>
      ) : (
        <div class="toolbar">
          <p>
            Offered to <strong>{pending}</strong>, until they accept.
          </p>
          <button type="button" disabled={busy} onClick={act(() => cancelTransfer(app))}>
            Cancel transfer
          </button>
        </div>
      )}
      <ErrorText error={problem ?? loaded.error} />
    </section>
  );
}
