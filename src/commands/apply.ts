// `drg apply -f FILE|DIR|-`: create what is missing, update what exists, from JSON or YAML manifests.
import type { GlobalOptions } from '../cli.js';
import type { RegistryClient } from '../client/registry.js';
import { openSession, resolveApp } from '../client/session.js';
import { type Device, sameContent } from '../model/resource.js';
import { CliError, UsageError } from '../output/errors.js';
import type { OutputFormat } from '../output/format.js';
import { resourceMessage, resourceSubject } from '../output/messages.js';
import { printMessage, resourceRef } from '../output/render.js';
import { type ApplyItem, type ApplyOutcome, createBody, planApply, updateBody } from '../resources/apply.js';
import { parseManifest, readManifestSources } from '../resources/manifests.js';
import { asConflict, isHttpStatus, readTarget, type Target, writeTarget } from '../resources/target.js';
import { outputFormat } from './common.js';
import { readStdin } from './stdin.js';

export interface ApplyOptions {
  filename?: string[];
  paths?: string[];
  ignoreResourceVersion?: boolean;
}

export async function run(opts: ApplyOptions, globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const paths = [...(opts.filename ?? []), ...(opts.paths ?? [])];
  if (paths.length === 0) throw new UsageError('nothing to apply', 'use -f FILE, -f DIR or -f - (stdin)');
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const session = await openSession(globals);
  const sources = await readManifestSources(paths, readStdin);
  const items = planApply(
    sources.flatMap((s) => parseManifest(s)),
    resolveApp(globals, session.context),
  );

  const done: string[] = [];
  const failures: CliError[] = [];
  for (const item of items) {
    const target = targetOf(item);
    try {
      const outcome = await applyOne(session.registry, target, item, opts);
      const line = resourceMessage(target.kind, target.name, outcome);
      done.push(line);
      if (format !== 'json')
        process.stdout.write(`${format === 'name' ? resourceRef(target.kind, target.name) : line}\n`);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      failures.push(err);
      const problem = `${resourceSubject(target.kind, target.name)}: ${err.message}`;
      done.push(`error: ${problem}`);
      if (format !== 'json') printMessage(format, { status: 'failure', message: problem });
    }
  }
  report(format, done, failures, items.length);
}

function targetOf(item: ApplyItem): Target {
  return { kind: item.kind, app: item.application ?? item.name, name: item.name };
}

async function applyOne(
  registry: RegistryClient,
  target: Target,
  item: ApplyItem,
  opts: ApplyOptions,
): Promise<ApplyOutcome> {
  const current = await readTarget(registry, target).catch((err) => {
    if (isHttpStatus(err, 404)) return undefined;
    throw err;
  });
  if (!current) {
    await create(registry, target, item);
    return 'created';
  }
  const next = updateBody(current, item.resource, { ignoreVersion: opts.ignoreResourceVersion });
  if (sameContent(current, next)) return 'unchanged';
  try {
    await writeTarget(registry, target, next);
  } catch (err) {
    throw asConflict(err, 'it was changed by someone else since it was read (or since the manifest was written)', {
      hint: 'nothing was changed: read it again (drg get) and re-apply',
    });
  }
  return 'updated';
}

async function create(registry: RegistryClient, target: Target, item: ApplyItem): Promise<void> {
  const body = createBody(item.resource);
  try {
    if (target.kind === 'application') await registry.createApp(body);
    else await registry.createDevice(target.app, body as Device);
  } catch (err) {
    if (target.kind === 'device' && isHttpStatus(err, 404)) {
      throw new CliError(`application ${target.app} does not exist`, { ...err.options });
    }
    throw asConflict(err, 'it was created by someone else at the same time', { hint: 'run drg apply again' });
  }
}

/** Text formats printed as they went; `-o json` is one document for the whole run. Failures exit 1. */
function report(format: OutputFormat, lines: string[], failures: CliError[], total: number): void {
  if (failures.length === 0) {
    if (format === 'json') printMessage(format, { status: 'success', message: lines.join('\n') });
    return;
  }
  const summary = `${failures.length} of ${total} resources could not be applied`;
  if (format === 'json') {
    printMessage(format, {
      status: 'failure',
      message: [...lines, summary].join('\n'),
      httpStatus: failures[0].httpStatus,
    });
  } else {
    process.stderr.write(`error: ${summary}\n`);
  }
  process.exitCode = 1;
}
