// Access tokens: the user's, by prefix; create one (its secret shown once, in a dialog, and kept nowhere else) and
// delete one.
import { useState } from 'preact/hooks';
import { createToken, deleteToken, listTokens, type TokenInfo } from '../api/apps.js';
import { messageOf } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { ConfirmForm } from '../ui/action.js';
import { Busy, ErrorText, Page, Time } from '../ui/common.js';
import { Dialog } from '../ui/dialog.js';
import { type Column, Table } from '../ui/table.js';

export function TokensPage() {
  const tokens = useResource('tokens', listTokens);
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<{ prefix: string; token: string }>();
  const [deleting, setDeleting] = useState<TokenInfo>();
  const [problem, setProblem] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    setNotice('');
    try {
      setCreated(await createToken(description.trim()));
      setDescription('');
      tokens.reload();
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };

  const columns: Column<TokenInfo>[] = [
    { header: 'Prefix', cell: (t) => <code>{t.prefix}</code> },
    { header: 'Description', cell: (t) => t.description ?? <span class="muted">none</span> },
    { header: 'Created', cell: (t) => <Time value={t.created} />, wide: true },
    {
      header: 'Actions',
      cell: (t) => (
        <button
          type="button"
          class="danger apps-row-button"
          aria-label={`Delete token ${t.prefix}`}
          onClick={() => setDeleting(t)}
        >
          Delete
        </button>
      ),
    },
  ];

  return (
    <Page name="tokens" title="Access tokens">
      <p class="muted">
        Access tokens let scripts call the API as you: HTTP Basic with your user name and the token (
        <code>curl -u USER:TOKEN</code>, <code>drg login URL --access-token USER:TOKEN</code>).
      </p>
      <form class="toolbar tokens-create" onSubmit={create}>
        <label class="inline" for="token-description">
          Description
        </label>
        <input
          id="token-description"
          value={description}
          placeholder="CI pipeline"
          autoComplete="off"
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <button type="submit" class="primary" disabled={busy}>
          Create token
        </button>
      </form>
      <ErrorText error={problem} />
      {notice && <p role="status">{notice}</p>}
      <ErrorText error={tokens.error} />
      {tokens.loading && !tokens.data ? (
        <Busy />
      ) : (
        <Table
          caption="Access tokens"
          columns={columns}
          rows={tokens.data ?? []}
          rowKey={(t) => t.prefix}
          empty="You have no access tokens."
        />
      )}
      <Dialog title="New access token" open={created !== undefined} onClose={() => setCreated(undefined)}>
        {created && <NewToken token={created.token} onDone={() => setCreated(undefined)} />}
      </Dialog>
      <Dialog
        title={`Delete token ${deleting?.prefix ?? ''}`}
        open={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
      >
        {deleting && (
          <ConfirmForm
            action="Delete"
            onCancel={() => setDeleting(undefined)}
            onConfirm={async () => {
              await deleteToken(deleting.prefix);
              setNotice(`Token ${deleting.prefix} deleted: it no longer works.`);
              setDeleting(undefined);
              tokens.reload();
            }}
          >
            Delete the token <code>{deleting.prefix}</code>
            {deleting.description && <> ({deleting.description})</>}? Whatever uses it can no longer call the API.
          </ConfirmForm>
        )}
      </Dialog>
    </Page>
  );
}

/** The secret, once: it leaves memory when the dialog closes. */
function NewToken({ token, onDone }: { token: string; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied('Copied.');
    } catch (err) {
      setCopied(`Could not copy (${messageOf(err)}): select the token and copy it.`);
    }
  };
  return (
    <div class="token-new">
      <p class="warn" role="alert">
        Copy the token now: it will not be shown again.
      </p>
      <label for="token-value">Token</label>
      <div class="toolbar">
        <input
          id="token-value"
          class="mono token-value"
          value={token}
          readOnly
          autoComplete="off"
          spellcheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" class="primary" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status" class="muted">
        {copied}
      </p>
      <div class="toolbar apps-dialog-actions">
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
