// Ownership and sharing commands: `get|create|edit|delete member`, `create|get|delete token`, `transfer`.
// Definitions only; each action imports its command module lazily.
import { type Command, Option } from 'commander';
import type { GlobalOptions } from './cli.js';
import { MEMBER_ROLES } from './model/members.js';

const MEMBER_NAMES = ['member', 'members'];
const TOKEN_NAMES = ['token', 'tokens'];

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** The existing `create`, `get`, ... command, to add subcommands to (so call this after those are defined). */
function verb(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

export function addAdminCommands(program: Command): void {
  addMemberCommands(program);
  addTokenCommands(program);
  addTransferCommands(program);
}

function addMemberCommands(program: Command): void {
  const appHelp = '\nThe application is --app, else $DRG_APP, else the default app of the context.';
  verb(program, 'get', 'show resources')
    .command(MEMBER_NAMES[0])
    .aliases(MEMBER_NAMES.slice(1))
    .description("list the application's members and their roles (owner and admins only)")
    .addHelpText('after', appHelp)
    .action(async (_opts, cmd: Command) => {
      const { getMembers } = await import('./commands/member.js');
      await getMembers(globals(cmd));
    });
  verb(program, 'create', 'create resources')
    .command(MEMBER_NAMES[0])
    .description("add a member to the application, or change a member's role")
    .argument('<user>', 'the user')
    .addOption(
      new Option('--role <role>', 'reader (read), manager (read and write), admin (also members and delete)').choices(
        MEMBER_ROLES,
      ),
    )
    .addHelpText('after', appHelp)
    .action(async (user: string, opts, cmd: Command) => {
      const { createMember } = await import('./commands/member.js');
      await createMember(globals(cmd), user, opts);
    });
  verb(program, 'edit', 'edit resources')
    .command(MEMBER_NAMES[0])
    .aliases(MEMBER_NAMES.slice(1))
    .description("edit the application's members in $VISUAL/$EDITOR (YAML)")
    .addHelpText(
      'after',
      `${appHelp}\nIf someone else changes the members while you edit, nothing is overwritten: drg reports the conflict\nand keeps your version.`,
    )
    .action(async (_opts, cmd: Command) => {
      const { editMembers } = await import('./commands/member.js');
      await editMembers(globals(cmd));
    });
  verb(program, 'delete', 'delete resources')
    .command(MEMBER_NAMES[0])
    .description('remove a member from the application')
    .argument('<user>', 'the user')
    .addHelpText('after', appHelp)
    .action(async (user: string, _opts, cmd: Command) => {
      const { deleteMember } = await import('./commands/member.js');
      await deleteMember(globals(cmd), user);
    });
}

function addTokenCommands(program: Command): void {
  verb(program, 'create', 'create resources')
    .command(TOKEN_NAMES[0])
    .description('create an API access token for yourself; it is shown only this once')
    .option('--description <text>', 'what the token is for')
    .action(async (opts, cmd: Command) => {
      const { createToken } = await import('./commands/token.js');
      await createToken(globals(cmd), opts);
    });
  verb(program, 'get', 'show resources')
    .command(TOKEN_NAMES[0])
    .aliases(TOKEN_NAMES.slice(1))
    .description('list your API access tokens (their prefixes; the secrets are never shown again)')
    .action(async (_opts, cmd: Command) => {
      const { getTokens } = await import('./commands/token.js');
      await getTokens(globals(cmd));
    });
  verb(program, 'delete', 'delete resources')
    .command(TOKEN_NAMES[0])
    .description('delete one of your API access tokens')
    .argument('<prefix>', 'the prefix of the token (drg_XXXXXX), see `drg get token`')
    .action(async (prefix: string, _opts, cmd: Command) => {
      const { deleteToken } = await import('./commands/token.js');
      await deleteToken(globals(cmd), prefix);
    });
}

function addTransferCommands(program: Command): void {
  const transfer = program
    .command('transfer')
    .description('hand an application over to another user: the owner starts, the new owner accepts');
  transfer
    .command('init')
    .description('offer the application (--app or the default app) to USER; you stay the owner until they accept')
    .argument('<user>', 'the new owner')
    .action(async (user: string, _opts, cmd: Command) => {
      const { transferInit } = await import('./commands/transfer.js');
      await transferInit(globals(cmd), user);
    });
  transfer
    .command('accept')
    .description('become the owner of an application that was offered to you')
    .argument('[app]', 'the application (default: --app or the default app)')
    .action(async (app: string | undefined, _opts, cmd: Command) => {
      const { transferAccept } = await import('./commands/transfer.js');
      await transferAccept(globals(cmd), app);
    });
  transfer
    .command('cancel')
    .description('withdraw a pending transfer (the owner), or decline one offered to you')
    .argument('[app]', 'the application (default: --app or the default app)')
    .action(async (app: string | undefined, _opts, cmd: Command) => {
      const { transferCancel } = await import('./commands/transfer.js');
      await transferCancel(globals(cmd), app);
    });
}
