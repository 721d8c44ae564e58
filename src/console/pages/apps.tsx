// Applications: the ones the user may read, filtered by a label selector (the registry's) and by name; create and
// delete. An application with finalizers stays listed as Deleting until its last finalizer is gone.
import { useState } from 'preact/hooks';
import { appNameProblem } from '../../model/names.js';
import type { Application } from '../../model/resource.js';
import { parseSelector } from '../../model/selector.js';
import { createApp, deleteApp, listApps } from '../api/apps.js';
import { ApiError, messageOf } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { href, Link } from '../router.js';
import { ConfirmForm } from '../ui/action.js';
import { parseLabelList } from '../ui/app-labels.js';
import { Busy, ErrorText, Labels, Page, Time } from '../ui/common.js';
import { Dialog } from '../ui/dialog.js';
import { type Column, Table } from '../ui/table.js';

export function AppsPage() {
  const [selector, setSelector] = useState('');
  const [nameFilter, setNameFilter] = useState('');
  const apps = useResource(`apps?labels=${selector}`, () => listApps(selector));
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Application>();
  const [notice, setNotice] = useState('');

  const shown = (apps.data ?? []).filter((app) => app.metadata.name.includes(nameFilter.trim()));
  const filtered = selector !== '' || nameFilter.trim() !== '';
  const columns: Column<Application>[] = [
    { header: 'Name', cell: (app) => <Link href={href('apps', app.metadata.name)}>{app.metadata.name}</Link> },
    { header: 'Labels', cell: (app) => <Labels labels={app.metadata.labels} /> },
    { header: 'Created', cell: (app) => <Time value={app.metadata.creationTimestamp} />, wide: true },
    { header: 'State', cell: (app) => <AppState app={app} /> },
    {
      header: 'Actions',
      cell: (app) => (
        <button
          type="button"
          class="danger apps-row-button"
          aria-label={`Delete ${app.metadata.name}`}
          disabled={app.metadata.deletionTimestamp !== undefined}
          onClick={() => setDeleting(app)}
        >
          Delete
        </button>
      ),
    },
  ];

  return (
    <Page
      name="apps"
      title="Applications"
      actions={
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          Create application
        </button>
      }
    >
      <AppFilters selector={selector} onSelector={setSelector} name={nameFilter} onName={setNameFilter} />
      {notice && (
        <p role="status" class="ok">
          {notice}
        </p>
      )}
      <ErrorText error={apps.error} />
      {apps.loading && !apps.data ? (
        <Busy />
      ) : (
        <Table
          caption="Applications"
          columns={columns}
          rows={shown}
          rowKey={(app) => app.metadata.name}
          empty={filtered ? 'No application matches the filter.' : 'No applications yet: create one.'}
        />
      )}
      <Dialog title="Create application" open={creating} onClose={() => setCreating(false)}>
        <CreateAppForm
          onCancel={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            setNotice(`Application ${name} created.`);
            apps.reload();
          }}
        />
      </Dialog>
      <Dialog
        title={`Delete application ${deleting?.metadata.name ?? ''}`}
        open={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
      >
        {deleting && (
          <ConfirmForm
            action="Delete"
            onCancel={() => setDeleting(undefined)}
            onConfirm={async () => {
              await deleteApp(deleting);
              setNotice(`Application ${deleting.metadata.name} deleted.`);
              setDeleting(undefined);
              apps.reload();
            }}
          >
            Delete the application <strong>{deleting.metadata.name}</strong>? Its devices without finalizers go with it;
            if finalizers remain, it stays as Deleting until they are removed.
          </ConfirmForm>
        )}
      </Dialog>
    </Page>
  );
}

/** Ready, or Deleting with the finalizers it still waits for. */
export function AppState({ app }: { app: Application }) {
  if (app.metadata.deletionTimestamp === undefined) return <span class="ok">Ready</span>;
  const pending = app.metadata.finalizers ?? [];
  return (
    <span class="warn">
      Deleting
      {pending.length > 0 && <span class="muted"> (waiting for {pending.join(', ')})</span>}
    </span>
  );
}

function AppFilters({
  selector,
  onSelector,
  name,
  onName,
}: {
  selector: string;
  onSelector: (selector: string) => void;
  name: string;
  onName: (name: string) => void;
}) {
  const [text, setText] = useState(selector);
  const [problem, setProblem] = useState('');
  const apply = (event: Event) => {
    event.preventDefault();
    const wanted = text.trim();
    try {
      parseSelector(wanted);
    } catch (err) {
      setProblem(messageOf(err));
      return;
    }
    setProblem('');
    onSelector(wanted);
  };
  return (
    <form class="apps-filters" aria-label="Filter applications" onSubmit={apply}>
      <div class="apps-filter">
        <label for="apps-selector">Label selector</label>
        <input
          id="apps-selector"
          class="mono"
          value={text}
          placeholder="env=prod,!legacy"
          aria-invalid={problem !== ''}
          aria-describedby={problem ? 'apps-selector-problem' : undefined}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </div>
      <button type="submit">Filter</button>
      <div class="apps-filter">
        <label for="apps-name">Name contains</label>
        <input id="apps-name" value={name} onInput={(e) => onName(e.currentTarget.value)} />
      </div>
      {problem && (
        <p id="apps-selector-problem" class="error apps-filter-problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function CreateAppForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [labels, setLabels] = useState('');
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const wanted = name.trim();
    const invalid = appNameProblem(wanted);
    if (invalid) return setProblem(invalid);
    let parsed: Record<string, string>;
    try {
      parsed = parseLabelList(labels);
    } catch (err) {
      return setProblem(messageOf(err));
    }
    setBusy(true);
    setProblem('');
    try {
      const hasLabels = Object.keys(parsed).length > 0;
      await createApp({ metadata: { name: wanted, ...(hasLabels && { labels: parsed }) } });
      onCreated(wanted);
    } catch (err) {
      setProblem(
        err instanceof ApiError && err.status === 409 ? `Application "${wanted}" already exists.` : messageOf(err),
      );
      setBusy(false);
    }
  };
  return (
    <form class="apps-create" onSubmit={submit} noValidate>
      <label for="create-app-name">Name</label>
      <input
        id="create-app-name"
        value={name}
        autoComplete="off"
        spellcheck={false}
        aria-describedby="create-app-name-hint"
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <p id="create-app-name-hint" class="muted apps-hint">
        Lowercase letters, digits and '-', up to 63.
      </p>
      <label for="create-app-labels">Labels (optional)</label>
      <input
        id="create-app-labels"
        class="mono"
        value={labels}
        placeholder="env=prod,team=edge"
        autoComplete="off"
        onInput={(e) => setLabels(e.currentTarget.value)}
      />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="toolbar apps-dialog-actions">
        <button type="submit" class="primary" disabled={busy}>
          Create
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
