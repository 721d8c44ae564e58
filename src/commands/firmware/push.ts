// `drg firmware push FILE --version V`: uploads an image to the firmware store of drg serve, streamed, its SHA-256
// read first and checked by the server; `--image REF` pushes it to an OCI registry instead (./push-image.ts).
import { basename, extname, resolve } from 'node:path';
import { arg, defineCommand, option } from '../../cli/command.js';
import { DrgError, isApiStatus, UsageError } from '../../errors.js';
import { formatByteSize } from '../../model/units.js';
import { checkImageName, checkImageVersion, readImageFile, STORE_HELP, withProgressBar } from './images.js';

export const pushFirmware = defineCommand({
  path: 'firmware push',
  summary: "upload a firmware image to drg serve's store (or with --image to an OCI registry)",
  description: `${STORE_HELP}

The file is read twice: once for its SHA-256, which goes ahead of the bytes (the server refuses a conflicting
or forbidden push before they are sent, and checks them as they arrive), then to send it. Pushing the same name
and version with the same bytes again changes nothing; with other bytes it fails: push a new version. On a
terminal a progress bar shows the upload. drg serve takes images up to --max-firmware-size (64MiB).

With --image REGISTRY/REPO:TAG, the image goes to an OCI registry instead, as oras push does (the tag is the
version: --version may be left out, and must match it when given).`,
  args: { file: arg.required('the image file') },
  options: {
    version: option.string(
      '--version <version>',
      'the version devices report once they run it (required, but with --image)',
    ),
    name: option.string('--name <name>', "the image's name (default: the file's name without its extension)"),
    image: option.string('--image <ref>', 'push to this OCI artifact (REGISTRY/REPO:TAG) instead of the store'),
  },
  examples: [
    { command: 'drg firmware push build/fw.bin --version 1.2.0', description: 'Push fw 1.2.0 to the store' },
    {
      command: 'drg firmware push app.bin --name sensor-fw --version 1.2.0 --app fleet',
      description: "Under another name, to application fleet's store",
    },
    {
      command: 'drg firmware push fw.bin --image registry.example.com/fw/sensor:1.2.0',
      description: 'To an OCI registry',
    },
  ],
  async handler({ args, options }, ctx) {
    const path = resolve(ctx.io.cwd, args.file);
    if (options.image !== undefined) {
      if (options.name !== undefined) throw new UsageError('--name is for the store: leave it out with --image');
      const { pushImage } = await import('./push-image.js');
      await pushImage(ctx, { file: path, image: options.image, version: options.version });
      return;
    }
    if (options.version === undefined) {
      throw new UsageError(
        'give the version of the image with --version',
        `e.g. drg firmware push ${args.file} --version 1.0.0`,
      );
    }
    const version = checkImageVersion(options.version);
    const name = checkImageName(
      options.name ?? basename(args.file, extname(args.file)),
      options.name ? undefined : 'give one with --name',
    );
    const file = await readImageFile(path, args.file);
    const session = await ctx.session();
    const app = session.requireApp();
    const [{ createReadStream }, { FirmwareClient }] = await Promise.all([
      import('node:fs'),
      import('../../client/firmware.js'),
    ]);
    const client = new FirmwareClient(session.api);
    const upload = { open: () => createReadStream(path), size: file.size, checksum: file.checksum };
    const { info, created } = await withProgressBar(ctx, `${name} ${version}`, file.size, (onProgress) =>
      client.push(app, name, version, upload, onProgress),
    ).catch((err: unknown) => {
      if (!isApiStatus(err, 409)) throw err;
      throw new DrgError(`firmware ${name} ${version} already exists with different content: push a new version`, {
        cause: err,
      });
    });
    const what = `firmware ${info.name} ${info.version} (${formatByteSize(info.size)}, ${info.checksum})`;
    await ctx.out.outcome({
      message: created
        ? `Pushed ${what} to application ${app}`
        : `Application ${app} has ${what} already: nothing changed`,
      details: { image: info },
    });
  },
});
