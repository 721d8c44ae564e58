// A device's spec in a textarea, as YAML or JSON, saved the way `drg edit` saves: with the resourceVersion it was
// opened with. A change made elsewhere meanwhile (409) keeps the user's text as it is, shows the current version,
// and offers to save over it (with the fresh resourceVersion) or to discard the edit: a concurrent change never
// loses the user's edit. Credentials are neither shown (not even hashes) nor edited here: they stay as stored.
import { useEffect, useState } from 'preact/hooks';
import { CREDENTIAL_SECTIONS } from '../../model/device-spec.js';
import { isJsonObject, jsonEqual } from '../../model/json.js';
import { ApiError, messageOf } from '../api/client.js';
import { type Device, getDevice, updateDevice } from '../api/devices.js';
import { useAction } from './action.js';
import { ErrorText } from './common.js';

export type SpecFormat = 'yaml' | 'json';

const loadYaml = () => import('yaml');

const isCredentialSection = (key: string) => (CREDENTIAL_SECTIONS as readonly string[]).includes(key);

/** The spec without its credential sections: what the editor shows. */
export function editableSpec(device: Device): Record<string, unknown> {
  return Object.fromEntries(Object.entries(device.spec ?? {}).filter(([key]) => !isCredentialSection(key)));
}

/** `over` with the edited spec, its own credential sections kept. */
function withEditedSpec(over: Device, edited: Record<string, unknown>): Device {
  const credentials = Object.entries(over.spec ?? {}).filter(([key]) => isCredentialSection(key));
  return { ...over, spec: { ...edited, ...Object.fromEntries(credentials) } };
}

export async function formatSpec(spec: unknown, format: SpecFormat): Promise<string> {
  if (format === 'json') return `${JSON.stringify(spec ?? {}, null, 2)}\n`;
  const YAML = await loadYaml();
  return YAML.stringify(spec ?? {}, { lineWidth: 0 });
}

/** The spec in `text`, or why it is not one (with the line and column of a syntax error). */
export async function parseSpec(
  text: string,
  format: SpecFormat,
): Promise<{ spec: Record<string, unknown> } | { problem: string }> {
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { problem: `Invalid JSON${jsonErrorPlace(text, messageOf(err))}: ${messageOf(err)}` };
    }
  } else {
    const YAML = await loadYaml();
    const doc = YAML.parseDocument(text);
    const error = doc.errors[0];
    if (error) {
      const at = error.linePos?.[0];
      const place = at ? ` at line ${at.line}, column ${at.col}` : '';
      return {
        problem: `Invalid YAML${place}: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      };
    }
    value = doc.toJS();
  }
  if (value === null || value === undefined) return { spec: {} };
  if (!isJsonObject(value)) return { problem: 'The spec must be an object (a mapping of sections)' };
  const credentials = Object.keys(value).filter(isCredentialSection);
  if (credentials.length > 0) {
    return {
      problem: `Credentials (spec.${credentials[0]}) are not edited here: set a password below the credentials`,
    };
  }
  return { spec: value };
}

/** ` at line L, column C` of a JSON.parse error that names a position. */
function jsonErrorPlace(text: string, message: string): string {
  const position = /position (\d+)/.exec(message);
  if (!position) return '';
  const before = text.slice(0, Number(position[1])).split('\n');
  return ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/** The top-level fields that differ between two versions, for people (`labels`, `spec.firmware`). */
export function changedFields(from: Device, to: Device): string[] {
  const fields: string[] = [];
  for (const key of ['labels', 'annotations'] as const) {
    if (!jsonEqual(from.metadata[key] ?? {}, to.metadata[key] ?? {})) fields.push(key);
  }
  const a = from.spec ?? {};
  const b = to.spec ?? {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!jsonEqual(a[key], b[key])) fields.push(`spec.${key}`);
  }
  if (!jsonEqual(from.status ?? {}, to.status ?? {})) fields.push('status');
  return fields;
}

interface Editing {
  /** The version the edit started from: its resourceVersion goes with the PUT. */
  base: Device;
  format: SpecFormat;
  text: string;
  /** The current version, once a save found that the device changed elsewhere. */
  conflict?: Device;
}

/** `onChanged`: the device is not what the page shows any more (saved here, or found changed elsewhere). */
export function SpecEditor({ device, onChanged }: { device: Device; onChanged: () => void }) {
  const [editing, setEditing] = useState<Editing>();
  const { busy, error: problem, run } = useAction();
  const [saved, setSaved] = useState(false);

  const open = (format: SpecFormat = 'yaml') =>
    run(async () => {
      setSaved(false);
      setEditing({ base: device, format, text: await formatSpec(editableSpec(device), format) });
    });

  if (!editing) {
    return (
      <div class="spec-editor">
        <pre class="spec-view">{JSON.stringify(editableSpec(device), null, 2)}</pre>
        {saved && (
          <p class="ok" role="status">
            Saved.
          </p>
        )}
        <ErrorText error={problem} />
        <button type="button" onClick={() => open()} disabled={busy}>
          Edit spec
        </button>
      </div>
    );
  }

  const switchFormat = (format: SpecFormat) =>
    run(async () => {
      if (format === editing.format) return;
      const parsed = await parseSpec(editing.text, editing.format);
      if ('problem' in parsed) throw new Error(`${parsed.problem} (fix it to switch to ${format.toUpperCase()})`);
      setEditing({ ...editing, format, text: await formatSpec(parsed.spec, format) });
    });

  /** PUT of the user's spec over `over` (its resourceVersion); a 409 shows the current version instead. */
  const save = (over: Device) =>
    run(async () => {
      const parsed = await parseSpec(editing.text, editing.format);
      if ('problem' in parsed) throw new Error(parsed.problem);
      try {
        await updateDevice(withEditedSpec(over, parsed.spec));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409)) throw err;
        const current = await getDevice(over.metadata.application, over.metadata.name);
        setEditing((e) => e && { ...e, conflict: current });
        onChanged();
        return;
      }
      setEditing(undefined);
      setSaved(true);
      onChanged();
    });

  const discard = () =>
    run(async () => {
      const current = editing.conflict ?? device;
      setEditing({
        base: current,
        format: editing.format,
        text: await formatSpec(editableSpec(current), editing.format),
      });
    });

  const { conflict } = editing;
  return (
    <form
      class="spec-editor"
      onSubmit={(event) => {
        event.preventDefault();
        save(conflict ?? editing.base);
      }}
    >
      <fieldset class="row format-switch">
        <legend class="visually-hidden">Format</legend>
        {(['yaml', 'json'] as const).map((format) => (
          <button
            type="button"
            key={format}
            aria-pressed={editing.format === format}
            disabled={busy}
            onClick={() => switchFormat(format)}
          >
            {format.toUpperCase()}
          </button>
        ))}
      </fieldset>
      <label for="spec-text">Spec ({editing.format.toUpperCase()})</label>
      <p class="muted" id="spec-hint">
        Without the credentials, which are never shown: set a password under Credentials.
      </p>
      <textarea
        id="spec-text"
        aria-describedby="spec-hint"
        spellcheck={false}
        value={editing.text}
        onInput={(e) => setEditing({ ...editing, text: e.currentTarget.value })}
      />
      <ErrorText error={problem} />
      {conflict ? (
        <ConflictNotice
          base={editing.base}
          current={conflict}
          format={editing.format}
          busy={busy}
          onDiscard={discard}
        />
      ) : (
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(undefined)} disabled={busy}>
            Cancel
          </button>
        </div>
      )}
    </form>
  );
}

function ConflictNotice({
  base,
  current,
  format,
  busy,
  onDiscard,
}: {
  base: Device;
  current: Device;
  format: SpecFormat;
  busy: boolean;
  onDiscard: () => void;
}) {
  const changed = changedFields(base, current);
  const [text, setText] = useState('');
  useEffect(() => {
    formatSpec(editableSpec(current), format).then(setText);
  }, [current, format]);
  return (
    <div class="conflict" role="alert">
      <p>
        <strong>This device was changed elsewhere</strong> since you opened the editor. Your text is kept above, nothing
        was saved.
      </p>
      <p>Changed: {changed.length > 0 ? changed.join(', ') : 'its resource version only'}. The current spec:</p>
      <pre data-testid="current-spec">{text}</pre>
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Save over it
        </button>
        <button type="button" onClick={onDiscard} disabled={busy}>
          Discard mine
        </button>
      </div>
    </div>
  );
}
