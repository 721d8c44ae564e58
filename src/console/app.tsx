// The console's frame: the login screen, the header with navigation, an application's tabs, and the routes.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { logIn, logOut, onSessionChange, type SessionState, sessionState } from './auth/session.js';
import { AppOverviewPage } from './pages/app-overview.js';
import { AppsPage } from './pages/apps.js';
import { DevicePage } from './pages/device.js';
import { DevicesPage } from './pages/devices.js';
import { EventsPage } from './pages/events.js';
import { FirmwarePage } from './pages/firmware.js';
import { GettingStartedPage } from './pages/getting-started.js';
import { TokensPage } from './pages/tokens.js';
import { href, Link, match, navigate, useLocation } from './router.js';

type Params = Record<string, string>;

const APP_TABS: Array<[string, string]> = [
  ['', 'Overview'],
  ['devices', 'Devices'],
  ['events', 'Events'],
  ['firmware', 'Firmware'],
  ['getting-started', 'Getting started'],
];

const routes: Array<[string, (p: Params) => JSX.Element]> = [
  ['apps', () => <AppsPage />],
  ['apps/:app', (p) => <AppOverviewPage app={p.app} />],
  ['apps/:app/devices', (p) => <DevicesPage app={p.app} />],
  ['apps/:app/devices/:device', (p) => <DevicePage app={p.app} device={p.device} />],
  ['apps/:app/events', (p) => <EventsPage app={p.app} />],
  ['apps/:app/firmware', (p) => <FirmwarePage app={p.app} />],
  ['apps/:app/getting-started', (p) => <GettingStartedPage app={p.app} />],
  ['tokens', () => <TokensPage />],
];

export function App() {
  const [session, setSession] = useState<SessionState>(sessionState);
  useEffect(() => onSessionChange(setSession), []);
  if (session.kind === 'error') return <LoginScreen problem={session.message} />;
  if (session.kind === 'logged-out') return <LoginScreen reason={session.reason} />;
  return <Shell user={session.user} />;
}

function LoginScreen({ reason, problem }: { reason?: string; problem?: string }) {
  return (
    <main class="login-screen" data-page="login">
      <h1>Drogue IoT console</h1>
      {reason && <p role="status">{reason}</p>}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <button type="button" class="primary" onClick={() => logIn({ returnTo: location.pathname })}>
        Log in
      </button>
    </main>
  );
}

function Shell({ user }: { user: string }) {
  const path = useLocation();
  const found = routes
    .map(([pattern, render]) => [match(pattern, path), render] as const)
    .find(([params]) => params !== undefined);
  useEffect(() => {
    if (path === '') navigate(href('apps'), { replace: true });
  }, [path]);
  const app = found?.[0]?.app;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href={href('apps')} class="brand">
          Drogue IoT
        </Link>
        <nav aria-label="Main">
          <NavLink to={href('apps')} current={path.startsWith('apps')}>
            Applications
          </NavLink>
          <NavLink to={href('tokens')} current={path === 'tokens'}>
            Access tokens
          </NavLink>
        </nav>
        <div class="user">
          <span>
            <span class="visually-hidden">Logged in as </span>
            {user}
          </span>
          <button type="button" onClick={() => logOut()}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {app !== undefined && <AppTabs app={app} path={path} />}
        {found ? found[1](found[0]!) : path !== '' && <NotFound />}
      </main>
    </>
  );
}

function NavLink({ to, current, children }: { to: string; current: boolean; children: ComponentChildren }) {
  return (
    <Link href={to} aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function AppTabs({ app, path }: { app: string; path: string }) {
  const base = href('apps', app);
  const rest = path.split('/').slice(2)[0] ?? '';
  return (
    <nav class="tabs" aria-label={`Application ${app}`}>
      <Link href={href('apps')} class="crumb">
        Applications
      </Link>
      <span class="crumb-sep" aria-hidden="true">
        /
      </span>
      <strong class="crumb-app">{app}</strong>
      <ul>
        {APP_TABS.map(([tab, label]) => (
          <li key={tab}>
            <NavLink to={tab ? `${base}/${tab}` : base} current={rest === tab}>
              {label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function NotFound() {
  return (
    <section data-page="not-found" class="page">
      <h1>Not found</h1>
      <p>
        There is no such page. <Link href={href('apps')}>Go to the applications</Link>.
      </p>
    </section>
  );
}
