// `drg edit app|device`: what both commands share (their definitions are in app/edit.ts and device/edit.ts).
import { option } from '../cli/command.js';
import type { CommandContext } from '../cli/context.js';
import { resolveApp } from '../client/session.js';
import { UsageError } from '../errors.js';
import type { ResourceKind } from '../model/resource.js';
import { EDIT_CANCELLED, resourceOutcome } from '../output/messages.js';
import { appTarget, deviceTarget } from '../resources/target.js';
import { parseSpecFlag } from './options.js';
import { warnUnknownSpecFields } from './spec-warnings.js';

export const EDIT_OPTIONS = {
  spec: option.string('-s, --spec <json>', 'replace the spec with this JSON object'),
  filename: option.string('-f, --filename <file>', 'update from a file holding the whole resource (YAML or JSON)'),
} as const;

export const EDIT_DESCRIPTION =
  'Without --spec or --filename, the resource opens as YAML in $VISUAL, else $EDITOR, else vi. If someone\n' +
  'else changes it while you edit, nothing is overwritten: drg reports the conflict and keeps your version.';

export async function editResource(
  kind: ResourceKind,
  name: string | undefined,
  opts: { spec?: string; filename?: string },
  ctx: CommandContext,
): Promise<void> {
  if (opts.spec !== undefined && opts.filename !== undefined) {
    throw new UsageError('--spec and --filename cannot be used together');
  }
  const spec = parseSpecFlag(opts.spec);
  const { editFromFile, editInEditorAndSave, replaceSpec } = await import('../resources/edit.js');
  const session = await ctx.session();
  if (opts.filename !== undefined) {
    const { target, resource, outcome } = await editFromFile(session.registry, {
      kind,
      name,
      file: opts.filename,
      files: ctx.io,
      defaultApp: resolveApp(ctx.selection, session.context),
    });
    warnUnknownSpecFields(ctx.out, kind, resource);
    await ctx.out.outcome(resourceOutcome(kind, target.name, outcome));
    return;
  }
  if (name === undefined) throw new UsageError(`which ${kind}? give its name (or --filename FILE)`);
  const target = kind === 'application' ? appTarget(name) : deviceTarget(session.requireApp(), name);
  if (spec !== undefined) {
    warnUnknownSpecFields(ctx.out, kind, { metadata: { name }, spec });
    await ctx.out.outcome(resourceOutcome(kind, name, await replaceSpec(session.registry, target, spec)));
    return;
  }
  const outcome = await editInEditorAndSave(
    session.registry,
    target,
    { env: ctx.env, stdoutIsTTY: ctx.io.stdout.isTTY },
    (edited) => warnUnknownSpecFields(ctx.out, kind, edited),
  );
  await ctx.out.outcome(outcome === 'unchanged' ? { message: EDIT_CANCELLED } : resourceOutcome(kind, name, outcome));
}
