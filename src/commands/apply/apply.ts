// `drg apply -f FILE|DIR|-`: create what is missing, update what exists, from JSON or YAML manifests.
import { arg, defineCommand, option } from '../../cli/command.js';
import { resolveApp } from '../../client/session.js';
import { DrgError, UsageError } from '../../errors.js';
import { errorWords } from '../../output/error-words.js';
import { isDocumentFormat } from '../../output/format.js';
import { resourceOutcome, resourceSubject } from '../../output/messages.js';
import type { ApplyOutcome } from '../../resources/apply.js';
import { warnUnknownSpecFields } from '../spec-warnings.js';

interface Result {
  kind: string;
  name: string;
  application?: string;
  outcome: ApplyOutcome | 'failed';
  message: string;
  http_status?: number;
}

export const apply = defineCommand({
  path: 'apply',
  summary: 'create or update applications and devices from JSON or YAML files',
  args: { paths: arg.variadic('files or directories (same as -f)') },
  options: {
    filename: option.list(
      '-f, --filename <path>',
      'a file, a directory (its .json/.yaml/.yml files) or - for stdin; repeatable',
    ),
    ignoreResourceVersion: option.boolean(
      '--ignore-resource-version',
      "ignore uid and resourceVersion in the files (the server's current ones are used)",
    ),
  },
  description: `A document with metadata.application (or kind: Device) is a device, else an application; a device
without metadata.application goes to --app or the default app. Several resources: YAML documents
separated by ---, a JSON array, or {"kind": "List", "items": [...]}. Applications are applied first.
Each resource is created if missing, else updated: the sections the file states (labels, annotations,
finalizers, spec, status) replace the server's; the others stay. Every file is checked first, so a
malformed one changes nothing. With -o json, one document lists the outcome of each resource (results).`,
  examples: [
    { command: 'drg apply -f fleet.yaml', description: 'Apply every resource in a file' },
    {
      command: 'drg apply -f manifests/ --app my-app',
      description: "A directory's files; devices without an application go to my-app",
    },
    { command: 'drg get app my-app -o yaml | drg apply -f -', description: 'From stdin' },
  ],
  async handler({ args, options }, ctx) {
    const paths = [...options.filename, ...args.paths];
    if (paths.length === 0) throw new UsageError('nothing to apply', 'use -f FILE, -f DIR or -f - (stdin)');
    if (paths.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
    const { planApply } = await import('../../resources/apply.js');
    const { applyItem } = await import('../../resources/apply-item.js');
    const { parseManifest, readManifestSources } = await import('../../resources/manifests.js');
    const session = await ctx.session();
    const sources = await readManifestSources(paths, ctx.io);
    const items = planApply(
      sources.flatMap((s) => parseManifest(s)),
      resolveApp(ctx.selection, session.context),
    );
    const document = isDocumentFormat(ctx.format);
    const results: Result[] = [];
    for (const item of items) {
      const ref = { kind: item.kind, name: item.name, ...(item.application ? { application: item.application } : {}) };
      warnUnknownSpecFields(ctx.out, item.kind, item.resource);
      try {
        const outcome = await applyItem(session.registry, item, options);
        const applied = resourceOutcome(item.kind, item.name, outcome);
        results.push({ ...ref, outcome, message: applied.message });
        if (!document) await ctx.out.outcome(applied);
      } catch (err) {
        if (!(err instanceof DrgError)) throw err;
        const words = errorWords(err);
        const message = `${resourceSubject(item.kind, item.name)}: ${words.message}`;
        results.push({
          ...ref,
          outcome: 'failed',
          message,
          ...(err.httpStatus ? { http_status: err.httpStatus } : {}),
        });
        if (!document) ctx.out.error(message, words.hint);
      }
    }
    const failed = results.filter((r) => r.outcome === 'failed');
    const summary = summaryOf(results, failed);
    if (document) {
      await ctx.out.document({
        status: failed.length === 0 ? 'success' : 'failure',
        message: summary,
        ...(failed[0]?.http_status ? { http_status: failed[0].http_status } : {}),
        results,
      });
    } else if (failed.length > 0) {
      ctx.out.error(summary);
    }
    return failed.length === 0 ? 0 : 1;
  },
});

/** One resource: its line. Several: how many did what, and the first failure. */
function summaryOf(results: Result[], failed: Result[]): string {
  if (results.length === 1) return results[0].message;
  if (failed.length > 0) {
    return `${failed.length} of ${results.length} resources could not be applied (${failed[0].message})`;
  }
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  return `${results.length} resources applied: ${[...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ')}`;
}
