// Shell completion, as cobra does it for gh and kubectl: the shell scripts (`drg completion bash|zsh|fish`) only
// call `drg __complete WORDS... PARTIAL`, and drg answers with one candidate per line from the command tree
// (commands, options, option values) and, for the names of applications, devices and contexts, from the
// config and the server. No answer lets the shell complete file names.
import { OUTPUT_FORMATS } from '../output/format.js';
import type { Completion, OptionSpec } from './command.js';
import { GLOBAL_OPTIONS } from './globals.js';
import { type CommandNode, findNode } from './tree.js';

export interface NameSource {
  names(kind: Completion, app?: string): Promise<string[]>;
}

/** The candidates for the last of `words` (the word being typed; may be empty), given the words before it. */
export async function complete(tree: CommandNode, words: readonly string[], source: NameSource): Promise<string[]> {
  const partial = words.length > 0 ? words[words.length - 1] : '';
  const before = words.slice(0, -1);
  const { node, operands, app, pendingOption } = walk(tree, before);
  const options = optionsOf(node);
  const matching = (candidates: string[]) => candidates.filter((c) => c.startsWith(partial));

  if (pendingOption) return matching(await optionValues(pendingOption, source, app));
  if (partial.startsWith('-')) {
    return matching(options.filter((o) => !o.hidden).flatMap((o) => longFlag(o.flags) ?? []));
  }
  const children = node.children.filter((c) => !c.command?.hidden).map((c) => c.word);
  if (children.length > 0 && operands.length === 0) return matching(children);
  const args = Object.values(node.command?.args ?? {});
  const arg = args[Math.min(operands.length, args.length - 1)];
  if (!arg?.complete || (operands.length >= args.length && !arg.variadic)) return [];
  return matching(await names(source, arg.complete, app));
}

interface Walked {
  node: CommandNode;
  /** Words after the command's path. */
  operands: string[];
  /** `-a/--app/--application`, when given. */
  app?: string;
  /** An option whose value is being typed. */
  pendingOption?: OptionSpec;
}

function walk(tree: CommandNode, words: readonly string[]): Walked {
  const path: string[] = [];
  const operands: string[] = [];
  let node = tree;
  let app: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word.startsWith('-') && word !== '-') {
      if (word.includes('=')) continue;
      const spec = optionsOf(node).find((o) => o.flags.split(/[ ,]+/).includes(word));
      if (spec && spec.type !== 'boolean') {
        if (i === words.length - 1) return { node, operands, app, pendingOption: spec };
        if (spec === GLOBAL_OPTIONS.app || spec === GLOBAL_OPTIONS.application) app = words[i + 1];
        i++;
      }
      continue;
    }
    if (operands.length === 0) {
      const found = findNode(tree, [...path, word]);
      if (found.rest.length === 0) {
        path.push(word);
        node = found.node;
        continue;
      }
    }
    operands.push(word);
  }
  return { node, operands, app };
}

function optionsOf(node: CommandNode): OptionSpec[] {
  return [...Object.values(node.command?.options ?? {}), ...Object.values(GLOBAL_OPTIONS)];
}

function longFlag(flags: string): string | undefined {
  return flags.split(/[ ,]+/).find((f) => f.startsWith('--'));
}

async function optionValues(spec: OptionSpec, source: NameSource, app: string | undefined): Promise<string[]> {
  if (spec === GLOBAL_OPTIONS.output) return [...OUTPUT_FORMATS];
  if (spec === GLOBAL_OPTIONS.context) return names(source, 'context', app);
  if (spec === GLOBAL_OPTIONS.app || spec === GLOBAL_OPTIONS.application) return names(source, 'app', app);
  if (spec.type === 'string' && spec.choices) return [...spec.choices];
  return [];
}

/** Names from the config or the server; none when they cannot be had (offline, not logged in). */
async function names(source: NameSource, kind: Completion, app: string | undefined): Promise<string[]> {
  try {
    return await source.names(kind, app);
  } catch {
    return [];
  }
}

export function completionScript(shell: 'bash' | 'zsh' | 'fish'): string {
  switch (shell) {
    case 'bash':
      return `# drg completion for bash: source <(drg completion bash), or save it to ~/.local/share/bash-completion/completions/drg
_drg() {
  local IFS=$'\\n'
  COMPREPLY=($(drg __complete -- "\${COMP_WORDS[@]:1:$COMP_CWORD}" 2>/dev/null))
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}"))
  return 0
}
complete -o filenames -F _drg drg
`;
    case 'zsh':
      return `#compdef drg
# drg completion for zsh: drg completion zsh > "\${fpath[1]}/_drg", or source <(drg completion zsh)
_drg() {
  local -a candidates
  candidates=("\${(@f)$(drg __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n "\${candidates[1]}" ]]; then
    compadd -Q -- "\${candidates[@]}"
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" = "_drg" ]]; then _drg "$@"; else compdef _drg drg; fi
`;
    case 'fish':
      return `# drg completion for fish: drg completion fish > ~/.config/fish/completions/drg.fish
function __drg_complete
    set -l tokens (commandline -opc) (commandline -ct)
    drg __complete -- $tokens[2..-1] 2>/dev/null
end
complete -c drg -a '(__drg_complete)'
`;
  }
}
