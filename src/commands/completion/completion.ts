// `drg completion bash|zsh|fish`: the shell script; `drg __complete WORDS...`: the candidates it asks for.
import { setTimeout as delay } from 'node:timers/promises';
import { arg, defineCommand } from '../../cli/command.js';
import { complete, completionScript, type NameSource } from '../../cli/completion.js';
import type { CommandContext } from '../../cli/context.js';
import { openSession } from '../../client/session.js';
import { loadConfig } from '../../config/config.js';
import { UsageError } from '../../errors.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
/** Names from the server are worth waiting this long for, not more: the user is typing. */
const SERVER_WAIT_MS = 3000;

export const completion = defineCommand({
  path: 'completion',
  summary: 'print the shell completion script for bash, zsh or fish',
  args: { shell: arg.required(`the shell: ${SHELLS.join(', ')}`) },
  description:
    'Completes commands, options and their values, and the names of contexts, applications and devices\n' +
    '(asked from the cluster of the context, as you type).',
  examples: [
    {
      command: 'source <(drg completion bash)',
      description: 'Completion in this bash (add it to ~/.bashrc to keep it)',
    },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, not a template
    { command: 'drg completion zsh > "${fpath[1]}/_drg"', description: 'Install it for zsh' },
    { command: 'drg completion fish > ~/.config/fish/completions/drg.fish', description: 'Install it for fish' },
  ],
  async handler({ args }, ctx) {
    const shell = SHELLS.find((s) => s === args.shell);
    if (!shell) throw new UsageError(`no completion for "${args.shell}": choose one of ${SHELLS.join(', ')}`);
    ctx.io.stdout.write(completionScript(shell));
  },
});

export const completeWords = defineCommand({
  path: '__complete',
  summary: 'the completion candidates for the words of a command line (used by the completion scripts)',
  hidden: true,
  args: { words: arg.variadic('the words after drg, the last one being typed') },
  examples: [{ command: 'drg __complete get ap', description: 'Prints app: the words that complete "ap" after get' }],
  async handler({ args }, ctx) {
    const candidates = await complete(ctx.tree, args.words.length > 0 ? args.words : [''], names(ctx));
    for (const candidate of candidates) ctx.io.stdout.write(`${candidate}\n`);
  },
});

function names(ctx: CommandContext): NameSource {
  return {
    async names(kind, app) {
      if (kind === 'context') return (await loadConfig(ctx.selection.configPath)).contexts.map((c) => c.name);
      const ask = async () => {
        const session = await openSession({ ...ctx.selection, app: app ?? ctx.selection.app });
        if (kind === 'app') return (await session.registry.listApps()).map((a) => a.metadata.name);
        if (kind === 'member') return Object.keys((await session.admin.getMembers(session.requireApp())).members);
        return (await session.registry.listDevices(session.requireApp())).map((d) => d.metadata.name);
      };
      const timeout = delay(SERVER_WAIT_MS, [] as string[], { ref: false });
      return Promise.race([ask(), timeout]);
    },
  };
}
