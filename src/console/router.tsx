// Client-side routes below /console/: the History API, and links that stay ordinary <a href> for the keyboard, new
// tabs and screen readers.
import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { CONSOLE_PATH } from '../model/oidc.js';

const listeners = new Set<() => void>();

/** The path below /console/, without leading or trailing slashes (`apps/x/devices`). */
export function currentPath(): string {
  const path = location.pathname.startsWith(CONSOLE_PATH) ? location.pathname.slice(CONSOLE_PATH.length) : '';
  return path.replace(/\/+$/, '');
}

/** The console URL of `path` (relative to /console/), segments given raw and encoded here. */
export function href(...segments: string[]): string {
  return CONSOLE_PATH + segments.map(encodeURIComponent).join('/');
}

export function navigate(to: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const listener of listeners) listener();
}

addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

/** Re-renders on navigation; returns the current path (see currentPath). */
export function useLocation(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return path;
}

/** Matches `path` against a pattern such as `apps/:app/devices/:device`; the parameters decoded. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path === '' ? [''] : path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (have[i] === '') return undefined;
      try {
        params[want[i].slice(1)] = decodeURIComponent(have[i]);
      } catch {
        return undefined;
      }
    } else if (want[i] !== have[i]) return undefined;
  }
  return params;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children: ComponentChildren };

/** An <a> that navigates in place on a plain click (a modified click opens a tab as usual). */
export function Link({ href: to, children, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={to} onClick={onClick}>
      {children}
    </a>
  );
}
