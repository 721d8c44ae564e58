// `drg config|context list|show|default-context|delete|default-app|rename`: the contexts in the drg config file.
import { removeCredentials } from '../auth/token-store.js';
import type { GlobalOptions } from '../cli.js';
import { namedContext, readConfig, resolveContext, wantedContextName } from '../client/session.js';
import { type Config, ConfigError, type Context, configPath, updateConfig } from '../config/config.js';
import { CliError, UsageError } from '../output/errors.js';
import { contextMessage } from '../output/messages.js';
import { printData, renderTable } from '../output/render.js';
import { checkAppName, outputFormat, reportSuccess } from './common.js';

export async function listContexts(globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const { config } = await readConfig(globals);
  const active = wantedContextName(globals, config);
  const rows = config.contexts.map((c) => ({
    name: c.name,
    active: c.name === active,
    drogue_cloud_url: c.drogue_cloud_url,
    ...(c.default_app ? { default_app: c.default_app } : {}),
  }));
  if (format === 'json' || format === 'yaml') return printData(rows, format);
  if (format === 'name') {
    process.stdout.write(rows.map((r) => `${r.name}\n`).join(''));
    return;
  }
  const table = [['CURRENT', 'NAME', 'URL', 'DEFAULT-APP']];
  for (const r of rows) table.push([r.active ? '*' : '', r.name, r.drogue_cloud_url, r.default_app ?? '']);
  process.stdout.write(renderTable(table));
}

/** The whole config, or with `--active` the context in use; token secrets are never shown. */
export async function showConfig(globals: GlobalOptions, opts: { active?: boolean }): Promise<void> {
  const format = outputFormat(globals);
  const { config } = await readConfig(globals);
  const data = opts.active
    ? redactContext(resolveContext(globals, config))
    : { ...config, contexts: config.contexts.map(redactContext) };
  await printData(data, format === 'json' ? 'json' : 'yaml');
}

export const REDACTED = '<redacted>';
const SECRET_FIELDS = new Set(['token', 'access_token', 'refresh_token', 'id_token']);

/** The context with every token secret replaced by `<redacted>` (ids, expiry and scope stay). */
export function redactContext(context: Context): Context {
  if (!context.token || typeof context.token !== 'object') return context;
  const token = Object.fromEntries(
    Object.entries(context.token).map(([key, value]) => [key, SECRET_FIELDS.has(key) ? REDACTED : value]),
  );
  return { ...context, token: token as Context['token'] };
}

export async function setDefaultContext(globals: GlobalOptions, name: string): Promise<void> {
  const format = outputFormat(globals);
  await edit(globals, (cfg) => {
    namedContext(cfg, name);
    cfg.active_context = name;
  });
  reportSuccess(format, contextMessage(name, { outcome: 'activated' }));
}

export async function deleteContext(globals: GlobalOptions, name: string): Promise<void> {
  const format = outputFormat(globals);
  await edit(globals, async (cfg) => {
    const context = namedContext(cfg, name);
    // A refresh token in the OS keyring goes with the context.
    if (context.token_keyring) await removeCredentials(context);
    cfg.contexts = cfg.contexts.filter((c) => c.name !== name);
    if (cfg.active_context === name) cfg.active_context = undefined;
  });
  reportSuccess(format, contextMessage(name, { outcome: 'deleted' }));
}

/** Sets the default app of the context in use (`-c`, `$DRG_CONTEXT`, else the active one). */
export async function setDefaultApp(globals: GlobalOptions, app: string): Promise<void> {
  const format = outputFormat(globals);
  checkAppName(app);
  let name = '';
  await edit(globals, (cfg) => {
    const context = resolveContext(globals, cfg);
    context.default_app = app;
    name = context.name;
  });
  reportSuccess(format, contextMessage(name, { outcome: 'default-app', app }));
}

export async function renameContext(globals: GlobalOptions, from: string, to: string): Promise<void> {
  const format = outputFormat(globals);
  if (to.trim() === '') throw new UsageError('the new context name must not be empty');
  await edit(globals, (cfg) => {
    const context = namedContext(cfg, from);
    if (from === to) return;
    if (cfg.contexts.some((c) => c.name === to)) throw new CliError(`context ${to} already exists`);
    context.name = to;
    if (cfg.active_context === from) cfg.active_context = to;
  });
  reportSuccess(format, contextMessage(from, { outcome: 'renamed', to }));
}

async function edit(globals: GlobalOptions, mutate: (cfg: Config) => void | Promise<void>): Promise<void> {
  try {
    await updateConfig(configPath(globals.config), mutate);
  } catch (err) {
    throw err instanceof ConfigError ? new CliError(err.message) : err;
  }
}
