// The command tree: every command and group placed by its path. The commander program (./program.ts), `drg help`
// and shell completion (../commands/completion/) all read it, so they always agree.
import type { AnyCommand, GroupDefinition } from './command.js';

export interface CommandNode {
  word: string;
  /** From the root, e.g. `['get', 'app']`; empty for the root. */
  path: string[];
  aliases: readonly string[];
  summary: string;
  description?: string;
  /** The command run at this node (a group may have one too: `whoami` and `whoami endpoints`). */
  command?: AnyCommand;
  children: CommandNode[];
}

/**
 * Places every definition by its path. A word on the way without a group definition is an error, as are two
 * definitions for one path: the tree is complete and unambiguous, whatever order the lists are in.
 */
export function buildTree(
  root: Omit<GroupDefinition, 'path'>,
  groups: readonly GroupDefinition[],
  commands: readonly AnyCommand[],
): CommandNode {
  const top: CommandNode = {
    word: '',
    path: [],
    aliases: [],
    summary: root.summary,
    description: root.description,
    children: [],
  };
  const nodes = new Map<string, CommandNode>([['', top]]);
  const entries = [
    ...groups.map((g) => ({ path: words(g.path), group: g, command: undefined })),
    ...commands.map((c) => ({ path: words(c.path), group: undefined, command: c })),
  ].sort((a, b) => a.path.length - b.path.length);
  const defined = new Set<string>();
  for (const { path, group, command } of entries) {
    const key = path.join(' ');
    const kind = `${group ? 'group' : 'command'} ${key}`;
    if (defined.has(kind)) throw new Error(`"${key}" is defined twice`);
    defined.add(kind);
    const parent = nodes.get(path.slice(0, -1).join(' '));
    if (!parent) throw new Error(`no group "${path.slice(0, -1).join(' ')}" for "${key}"`);
    let node = nodes.get(key);
    if (!node) {
      node = { word: path[path.length - 1], path, aliases: [], summary: '', children: [] };
      nodes.set(key, node);
      parent.children.push(node);
    }
    if (command) node.command = command;
    // A group's words win over those of a command at the same path.
    if (group || !node.summary) {
      const definition = group ?? (command as AnyCommand);
      node.summary = definition.summary;
      node.description = definition.description;
      node.aliases = definition.aliases ?? [];
    }
  }
  // Code-unit order: localeCompare would load ICU's collator, ~10 ms of every start.
  for (const node of nodes.values()) node.children.sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
  return top;
}

function words(path: string): string[] {
  return path.trim().split(/\s+/);
}

/** The node a list of words leads to (names or aliases), and the words left over. */
export function findNode(root: CommandNode, path: readonly string[]): { node: CommandNode; rest: string[] } {
  let node = root;
  let i = 0;
  for (; i < path.length; i++) {
    const next = node.children.find((c) => c.word === path[i] || c.aliases.includes(path[i]));
    if (!next) break;
    node = next;
  }
  return { node, rest: path.slice(i) };
}

export function* allNodes(node: CommandNode): Generator<CommandNode> {
  yield node;
  for (const child of node.children) yield* allNodes(child);
}
