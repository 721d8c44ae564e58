// `drg cmd DEVICE COMMAND` (drg 0.11's `command`): one command through the command API, to the device and its
// gateways that listen now. Nothing is stored: a device that is not listening does not get it.
import { resolve } from 'node:path';
import { arg, defineCommand, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { EndpointsClient } from '../../client/endpoints.js';
import { DrgError, isApiStatus, UsageError } from '../../errors.js';
import { checkDeviceName } from '../../resources/names.js';

export const cmd = defineCommand({
  path: 'cmd',
  aliases: ['command'],
  summary: 'send a command to a device (to it and its gateways that listen now; nothing is stored)',
  description: `The payload goes as it is, as application/json when it parses as JSON, else as
application/octet-stream (--content-type says otherwise). The device gets the command if it is subscribed (MQTT)
or waiting (HTTP ?ct=) at that moment, directly or through a gateway: commands are best effort.`,
  args: {
    device: arg.required('the device', 'device'),
    command: arg.required("the command's name"),
  },
  options: {
    payload: option.string('-p, --payload <payload>', 'the payload, as text'),
    filename: option.string('-f, --filename <file>', 'the payload from a file, as it is (- for stdin)'),
    contentType: option.string('--content-type <type>', "the payload's content type (default: guessed, see above)"),
  },
  examples: [
    { command: `drg cmd sensor-1 set-interval -p '{"seconds":30}'`, description: 'A command with a JSON payload' },
    { command: 'drg cmd sensor-1 reboot --app my-app', description: 'A command without a payload' },
    {
      command: 'drg cmd sensor-1 firmware -f image.bin --content-type application/octet-stream',
      description: 'A payload from a file',
    },
  ],
  async handler({ args, options }, ctx) {
    checkDeviceName(args.device);
    if (args.command === '') throw new UsageError('the COMMAND name must not be empty');
    const data = await payloadOf(options.payload, options.filename, ctx);
    if (data === undefined && options.contentType !== undefined) {
      throw new UsageError('--content-type describes a payload: give it with -p or -f');
    }
    if (options.contentType === '') throw new UsageError('--content-type must not be empty');
    const session = await ctx.session();
    const app = session.requireApp();
    const endpoints = await new EndpointsClient(session.api).endpoints();
    const { sendCommand } = await import('../../client/command.js');
    const target = { app, device: args.device, command: args.command };
    try {
      await sendCommand(session.api, endpoints, {
        ...target,
        payload: data && { data, contentType: options.contentType ?? guessContentType(data) },
      });
    } catch (err) {
      throw explained(err, target);
    }
    await ctx.out.outcome({ message: `Command ${args.command} sent to device ${args.device}` });
  },
});

async function payloadOf(
  payload: string | undefined,
  filename: string | undefined,
  ctx: CommandContext,
): Promise<Uint8Array | undefined> {
  if (payload !== undefined && filename !== undefined)
    throw new UsageError('give -p/--payload or -f/--filename, not both');
  if (payload !== undefined) return Buffer.from(payload, 'utf8');
  if (filename === undefined) return undefined;
  if (filename === '-') return ctx.io.readStdinBytes();
  // Loaded here: node:fs/promises costs every start a few modules.
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(resolve(ctx.io.cwd, filename));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message;
    throw new UsageError(`cannot read ${filename}: ${reason}`);
  }
}

function guessContentType(data: Uint8Array): string {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
    return 'application/json';
  } catch {
    return 'application/octet-stream';
  }
}

/** The command API's own answers, with what to check. */
function explained(err: unknown, { app, device, command }: { app: string; device: string; command: string }): unknown {
  if (isApiStatus(err, 406)) {
    return new DrgError(`device ${device} or application ${app} does not exist, or is disabled`, {
      hint: `check them: drg get device ${device} --app ${app}`,
      cause: err,
    });
  }
  if (isApiStatus(err, 503)) {
    return new DrgError(`the server could not queue command ${command} for device ${device} now: try again`, {
      cause: err,
    });
  }
  return err;
}
