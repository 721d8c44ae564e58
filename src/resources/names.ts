// Names given on the command line, in files or in the config, checked before any request (the rules are
// model/names.ts's, which the server applies too).
import { UsageError } from '../errors.js';
import { appNameProblem, deviceNameProblem } from '../model/names.js';

/** `source` says where a name that is not from the command line came from (e.g. a context's default app). */
export function checkAppName(name: string, source?: string): string {
  const problem = appNameProblem(name);
  if (problem) throw new UsageError(source ? `${source}: ${problem}` : problem);
  return name;
}

export function checkDeviceName(name: string): string {
  const problem = deviceNameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}
