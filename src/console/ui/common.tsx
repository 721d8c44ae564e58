// Small pieces every page uses: errors, loading, labels, times, and a page's frame.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, messageOf } from '../api/client.js';

/** An error as one line people can act on; nothing when there is none. */
export function ErrorText({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const conflict = error instanceof ApiError && error.status === 409;
  return (
    <p class="error" role="alert">
      {conflict ? `Changed elsewhere meanwhile: ${messageOf(error)}` : messageOf(error)}
    </p>
  );
}

export function Busy({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="busy" aria-busy="true">
      {what}…
    </p>
  );
}

/** Labels as `key=value` chips. */
export function Labels({ labels }: { labels?: Record<string, string> }) {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="labels">
      {entries.map(([key, value]) => (
        <li key={key} class="label">
          {value === '' ? key : `${key}=${value}`}
        </li>
      ))}
    </ul>
  );
}

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 5) return 'just now';
  if (s < 90) return `${s}s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** A time as "3m ago", its exact value in a <time> element; kept current. */
export function Time({ value }: { value?: string }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 15_000);
    return () => clearInterval(timer);
  }, []);
  if (!value) return <span class="muted">never</span>;
  const when = Date.parse(value);
  if (Number.isNaN(when)) return <span>{value}</span>;
  return (
    <time dateTime={value} title={new Date(when).toLocaleString()}>
      {ago(Date.now() - when)}
    </time>
  );
}

/** A page: its heading, actions beside it, and `data-page` for tests. */
export function Page({
  name,
  title,
  actions,
  children,
}: {
  name: string;
  title: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  useEffect(() => {
    if (typeof title === 'string') document.title = `${title} · Drogue IoT console`;
  }, [title]);
  return (
    <section data-page={name} class="page">
      <header class="page-header">
        <h1>{title}</h1>
        {actions && <div class="actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
