// `drg config|context list|show|default-context|delete|default-app|rename`: the contexts in the drg config file.
import { removeCredentials } from '../../auth/token-store.js';
import { arg, defineCommand, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { namedContext, resolveContext, wantedContextName } from '../../client/session.js';
import { loadConfig } from '../../config/config.js';
import { DrgError, isApiStatus, UsageError } from '../../errors.js';
import { appNameProblem } from '../../model/names.js';
import { isDocumentFormat } from '../../output/format.js';
import { contextMessage } from '../../output/messages.js';
import { HEADERS } from '../options.js';
import { editConfig, redactContext } from './shared.js';

export const listContexts = defineCommand({
  path: 'config list',
  summary: 'list the contexts (* marks the active one)',
  options: { headers: HEADERS },
  examples: [{ command: 'drg config list', description: 'The clusters drg knows, and which one it uses' }],
  async handler(_input, ctx) {
    const config = await loadConfig(ctx.selection.configPath);
    const active = wantedContextName(ctx.selection, config);
    const rows = config.contexts.map((c) => ({
      name: c.name,
      active: c.name === active,
      drogue_cloud_url: c.drogue_cloud_url,
      ...(c.default_app ? { default_app: c.default_app } : {}),
    }));
    if (isDocumentFormat(ctx.format)) return ctx.out.data(rows);
    if (ctx.format === 'name') return ctx.out.names(rows.map((r) => r.name));
    ctx.out.table(
      [
        ['CURRENT', 'NAME', 'URL', 'DEFAULT-APP'],
        ...rows.map((r) => [r.active ? '*' : '', r.name, r.drogue_cloud_url, r.default_app ?? '']),
      ],
      'No contexts: log in with `drg login URL` (or start `drg serve`).',
    );
  },
});

export const showConfig = defineCommand({
  path: 'config show',
  summary: 'print the config (token secrets redacted)',
  options: { active: option.boolean('--active', 'only the active context (or the one chosen with -c)') },
  examples: [
    { command: 'drg config show', description: 'The whole config as YAML' },
    { command: 'drg config show --active -o json', description: 'The context in use as JSON' },
  ],
  async handler({ options }, ctx) {
    const config = await loadConfig(ctx.selection.configPath);
    const data = options.active
      ? redactContext(resolveContext(ctx.selection, config))
      : { ...config, contexts: config.contexts.map(redactContext) };
    await ctx.out.data(data);
  },
});

export const defaultContext = defineCommand({
  path: 'config default-context',
  summary: 'make a context the active one',
  args: { name: arg.required('the context', 'context') },
  examples: [{ command: 'drg config default-context local', description: 'Use the context "local" from now on' }],
  async handler({ args }, ctx) {
    await editConfig(ctx, (cfg) => {
      namedContext(cfg, args.name);
      cfg.active_context = args.name;
    });
    await ctx.out.outcome({ message: contextMessage(args.name, { outcome: 'activated' }) });
  },
});

export const deleteContext = defineCommand({
  path: 'config delete',
  aliases: ['remove'],
  summary: 'delete a context (its refresh token in the OS keyring too)',
  args: { name: arg.required('the context', 'context') },
  examples: [{ command: 'drg config delete old-cluster', description: 'Forget a context' }],
  async handler({ args }, ctx) {
    await editConfig(ctx, async (cfg) => {
      const context = namedContext(cfg, args.name);
      if (context.token_keyring) await removeCredentials(context);
      cfg.contexts = cfg.contexts.filter((c) => c.name !== args.name);
      if (cfg.active_context === args.name) cfg.active_context = undefined;
    });
    await ctx.out.outcome({ message: contextMessage(args.name, { outcome: 'deleted' }) });
  },
});

export const defaultApp = defineCommand({
  path: 'config default-app',
  summary: 'set the default application of the context (the active one, or -c NAME)',
  args: { app: arg.required('the application') },
  description:
    'The name is stored as given (as drg 0.11 does); drg warns when it is not a valid application name, or\n' +
    'when the server does not know the application.',
  examples: [{ command: 'drg config default-app my-app', description: 'Commands without --app use my-app' }],
  async handler({ args }, ctx) {
    const name = await editConfig(ctx, (cfg) => {
      const context = resolveContext(ctx.selection, cfg);
      context.default_app = args.app;
      return context.name;
    });
    await ctx.out.outcome({ message: contextMessage(name, { outcome: 'default-app', app: args.app }) });
    const problem = appNameProblem(args.app);
    if (problem) {
      ctx.out.warn(`${problem}: commands that use the default application will refuse it`);
      return;
    }
    const warning = await unknownAppWarning(ctx, args.app);
    if (warning) ctx.out.warn(warning);
  },
});

/** Why the server does not know `app`, if it says so; nothing when it cannot be asked (offline, not logged in). */
async function unknownAppWarning(ctx: CommandContext, app: string): Promise<string | undefined> {
  try {
    await (await ctx.session()).registry.getApp(app);
    return undefined;
  } catch (err) {
    if (isApiStatus(err, 404))
      return `the server knows no application ${app} (yet): create it with drg create app ${app}`;
    if (isApiStatus(err, 403)) return `you have no access to the application ${app}`;
    return undefined;
  }
}

export const renameContext = defineCommand({
  path: 'config rename',
  summary: 'rename a context',
  args: { name: arg.required('the context', 'context'), newName: arg.required('its new name') },
  examples: [{ command: 'drg config rename default sandbox', description: 'Call the context "default" "sandbox"' }],
  async handler({ args }, ctx) {
    if (args.newName.trim() === '') throw new UsageError('the new context name must not be empty');
    await editConfig(ctx, (cfg) => {
      const context = namedContext(cfg, args.name);
      if (args.name === args.newName) return;
      if (cfg.contexts.some((c) => c.name === args.newName))
        throw new DrgError(`context ${args.newName} already exists`);
      context.name = args.newName;
      if (cfg.active_context === args.name) cfg.active_context = args.newName;
    });
    await ctx.out.outcome({ message: contextMessage(args.name, { outcome: 'renamed', to: args.newName }) });
  },
});

export const createContext = defineCommand({
  path: 'config create',
  summary: 'contexts are created by drg login',
  hidden: true,
  args: { words: arg.variadic('ignored') },
  examples: [{ command: 'drg login https://api.example.com', description: 'Create a context by logging in' }],
  async handler() {
    throw new DrgError('contexts are created by `drg login URL` (or `drg serve`)');
  },
});
