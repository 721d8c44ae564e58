// What the config commands share: a locked read-modify-write of the config file, and token secrets redacted.
import type { CommandContext } from '../../cli/context.js';
import { type Config, type Context, updateConfig } from '../../config/config.js';

export function editConfig<T>(ctx: CommandContext, mutate: (cfg: Config) => T | Promise<T>): Promise<T> {
  return updateConfig(ctx.selection.configPath, mutate);
}

const REDACTED = '<redacted>';
const SECRET_FIELDS = new Set(['token', 'access_token', 'refresh_token', 'id_token']);

/** The context with every token secret replaced by `<redacted>` (ids, expiry and scope stay). */
export function redactContext(context: Context): Context {
  if (!context.token || typeof context.token !== 'object') return context;
  const token = Object.fromEntries(
    Object.entries(context.token).map(([key, value]) => [key, SECRET_FIELDS.has(key) ? REDACTED : value]),
  );
  return { ...context, token: token as Context['token'] };
}
