// `drg help [COMMAND...]`: the help of any command, as `drg COMMAND --help` shows it; and help topics.
import { arg, defineCommand } from '../../cli/command.js';
import { buildProgram } from '../../cli/program.js';
import { findNode } from '../../cli/tree.js';
import { UsageError } from '../../errors.js';

const TOPICS: Record<string, string> = {
  output: `Output formats (-o, --output)

  table   the default: columns for people (escaped, so that names cannot reach your terminal raw)
  wide    more columns
  json    JSON: a resource as an object, a list as an array
  yaml    the same as YAML
  name    kind/name, one per line (application/my-app, device/sensor-1)

Commands that change something print what they did. With -o json that is one document:
  {"status": "success", "message": "Application my-app created"}
-o yaml prints the same document as YAML, -o name the kind/name of each resource changed. drg apply adds
"results", one entry per resource. A failure is one document too, and the exit code is not 0:
  {"status": "failure", "message": "application 'my-app' already exists", "http_status": 409}
With -o json or yaml, stdout holds exactly one document (drg stream: one JSON event per line): notes and
warnings go to stderr.

Exit codes: 0 success, 1 error, 2 wrong usage (nothing was sent), 4 not logged in or credentials rejected.
Tables: --no-headers leaves out the header row; an empty list is said on stderr.`,
  environment: `Environment variables

  DRGCFG             the config file (default ~/.config/drg_config.yaml, or $XDG_CONFIG_HOME/drg_config.yaml)
  DRG_CONTEXT        the context to use (like -c)
  DRG_APP            the application to use (like -a)
  DRG_ACCESS_TOKEN   USER:TOKEN for drg login, instead of --access-token
  DRG_REFRESH_TOKEN  a refresh token for drg login, instead of --token
  VISUAL, EDITOR     the editor of drg edit
  NO_COLOR           set (to anything) for no colours
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY
                     proxies for the cluster's API, as curl and kubectl use them`,
};

export const help = defineCommand({
  path: 'help',
  summary: 'show the help of a command, or of a topic: output, environment',
  args: { command: arg.variadic('the command (e.g. get app), or a topic') },
  examples: [
    { command: 'drg help get app', description: 'How to list and show applications' },
    { command: 'drg help output', description: 'Output formats, outcome documents and exit codes' },
  ],
  async handler({ args }, ctx) {
    const topic = args.command.length === 1 ? TOPICS[args.command[0]] : undefined;
    if (topic) {
      ctx.io.stdout.write(`${topic}\n`);
      return;
    }
    const { node, rest } = findNode(ctx.tree, args.command);
    if (rest.length > 0) {
      throw new UsageError(
        `no command "${args.command.join(' ')}"`,
        `run \`drg help\` for the commands; topics: ${Object.keys(TOPICS).join(', ')}`,
      );
    }
    const program = buildProgram(ctx.tree, {
      io: ctx.io,
      clock: ctx.clock,
      quietErrors: false,
      onExitCode: () => {},
      // As `drg PATH --help`: a group's help lists its commands, a command's needs only the way to it.
      only: node.command ? node : undefined,
    });
    program.commandOf(node).outputHelp();
  },
});
