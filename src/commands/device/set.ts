// `drg set password|gateway|alias|psk DEVICE ...`: read-modify-write of one device's spec.
import { arg, defineCommand, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import type { Session } from '../../client/session.js';
import { DrgError, isApiStatus, UsageError } from '../../errors.js';
import type { Resource } from '../../model/resource.js';
import { resourceOutcome } from '../../output/messages.js';
import { checkDeviceName } from '../../resources/names.js';
import { deviceTarget, readModifyWrite } from '../../resources/target.js';

const DEVICE = arg.required('the device', 'device');

/** The spec changes, loaded with the command that makes one (sha512-crypt is not for every start). */
export const deviceSpec = () => import('../../resources/device-spec.js');

/** Reads the device, applies `modify`, writes it back with the resourceVersion it read, and says what happened. */
export async function changeDevice(
  ctx: CommandContext,
  device: string,
  modify: (d: Resource) => Resource,
  check: (session: Session, app: string) => Promise<void> = async () => {},
): Promise<void> {
  const session = await ctx.session();
  const target = deviceTarget(session.requireApp(), device);
  await check(session, target.app);
  const outcome = await readModifyWrite(session.registry, target, modify);
  await ctx.out.outcome(resourceOutcome('device', device, outcome));
}

export const setPassword = defineCommand({
  path: 'set password',
  summary: 'set the password credential of a device (hashed locally with sha512-crypt)',
  args: {
    device: DEVICE,
    password: arg.optional('the password (visible in the process list: prefer --password-stdin)'),
  },
  options: {
    username: option.string(
      '-u, --username <user>',
      'a username/password credential for this user instead of a device password',
    ),
    passwordStdin: option.boolean(
      '--password-stdin',
      'read the password from stdin (keeps it out of the process list and shell history)',
    ),
  },
  description:
    'Only the sha512-crypt hash is sent; it replaces the existing password (or the one for the same\n' +
    'username) in both spec.authentication and spec.credentials.',
  examples: [
    { command: 'drg set password sensor-1 --password-stdin < password.txt', description: "Set the device's password" },
    {
      command: 'echo -n "$PW" | drg set password gw-1 --username alice --password-stdin',
      description: 'A user credential',
    },
  ],
  async handler({ args, options }, ctx) {
    if (options.passwordStdin && args.password !== undefined) {
      throw new UsageError('give the password either as an argument or with --password-stdin, not both');
    }
    if (options.username === '') throw new UsageError('the username must not be empty');
    checkDeviceName(args.device);
    const plain = options.passwordStdin ? (await ctx.io.readStdin()).replace(/\r?\n$/, '') : args.password;
    if (plain === undefined)
      throw new UsageError('no password given', 'pass it with --password-stdin (or as an argument)');
    if (plain === '') throw new UsageError('the password must not be empty');
    const { hashPassword, passwordCredential, withCredential } = await deviceSpec();
    const credential = passwordCredential(hashPassword(plain), options.username);
    await changeDevice(ctx, args.device, (d) => withCredential(d, credential));
  },
});

export const setPsk = defineCommand({
  path: 'set psk',
  summary: 'set the pre-shared key of a device',
  args: {
    device: DEVICE,
    key: arg.required('the key: its text as UTF-8 bytes, or base64-encoded bytes with --base64'),
  },
  options: { base64: option.boolean('--base64', 'KEY is base64 (for binary keys)') },
  description:
    'The key is stored base64-encoded ({"psk": {"key": "<base64>"}}), replacing an existing pre-shared key.\n' +
    'Without --base64 the text itself is the key: `drg set psk d1 secret` stores base64("secret").',
  examples: [
    { command: 'drg set psk sensor-1 my-secret', description: 'The text my-secret is the key' },
    { command: 'drg set psk sensor-1 --base64 q83vEjRWeJA=', description: 'Binary key bytes, base64-encoded' },
  ],
  async handler({ args, options }, ctx) {
    checkDeviceName(args.device);
    const { pskCredential, withCredential } = await deviceSpec();
    const credential = pskCredential(args.key, { base64: options.base64 });
    await changeDevice(ctx, args.device, (d) => withCredential(d, credential));
  },
});

export const setGateway = defineCommand({
  path: 'set gateway',
  summary: 'allow another device of the application to act as gateway for this device',
  args: { device: DEVICE, gateway: arg.required('the gateway device (it must exist)', 'device') },
  description: 'The gateway is added to spec.gatewaySelector.matchNames; `drg unset gateway` removes it.',
  examples: [{ command: 'drg set gateway sensor-1 gw-1 --app my-app', description: 'gw-1 may publish for sensor-1' }],
  async handler({ args }, ctx) {
    checkDeviceName(args.device);
    if (args.gateway === '') throw new UsageError('the gateway name must not be empty');
    if (args.gateway === args.device) throw new UsageError('a device cannot be its own gateway');
    const { withGateway } = await deviceSpec();
    await changeDevice(
      ctx,
      args.device,
      (d) => withGateway(d, args.gateway),
      async (session, app) => {
        try {
          await session.registry.getDevice(app, args.gateway);
        } catch (err) {
          if (!isApiStatus(err, 404)) throw err;
          throw new DrgError(`there is no device ${args.gateway} in application ${app} to be the gateway`, {
            hint: `create it first: drg create device ${args.gateway} --app ${app}`,
            cause: err,
          });
        }
      },
    );
  },
});

export const setAlias = defineCommand({
  path: 'set alias',
  summary: 'add an alias (a further name) for a device',
  args: { device: DEVICE, alias: arg.required('the alias') },
  description: 'The alias is added to spec.alias; `drg unset alias` removes it.',
  examples: [{ command: 'drg set alias sensor-1 "CN=sensor-1, O=Drogue IoT, OU=my-app"', description: 'Add an alias' }],
  async handler({ args }, ctx) {
    checkDeviceName(args.device);
    if (args.alias === '') throw new UsageError('the alias must not be empty');
    const { withAlias } = await deviceSpec();
    await changeDevice(ctx, args.device, (d) => withAlias(d, args.alias));
  },
});
