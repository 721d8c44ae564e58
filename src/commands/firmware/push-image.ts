// `drg firmware push FILE --image REGISTRY/REPO[:TAG]` (./push.ts): the file to an OCI registry as oras push makes
// it, streamed with a progress bar on a terminal. The tag is the version: it defaults to --version, and a tag that
// says otherwise is a usage error. Credentials: DRG_REGISTRY_USERNAME/PASSWORD, else docker's config.
import { basename } from 'node:path';
import type { CommandContext } from '../../cli/context.js';
import { AuthError, UsageError } from '../../errors.js';
import { imageTag } from '../../model/firmware.js';
import { formatByteSize } from '../../model/units.js';
import { readImageFile } from './images.js';

export async function pushImage(
  ctx: CommandContext,
  request: { file: string; image: string; version?: string },
): Promise<void> {
  const [{ createReadStream }, oci, { progressBar }] = await Promise.all([
    import('node:fs'),
    import('../../firmware/oci/index.js'),
    import('../../output/progress.js'),
  ]);
  const ref = taggedImage(request.image, request.version);
  try {
    oci.parseReference(ref);
  } catch (err) {
    if (err instanceof oci.OciError) throw new UsageError(err.message, err.hint);
    throw err;
  }
  const file = await readImageFile(request.file, request.file);
  const client = new oci.OciClient({
    credentials: oci.registryCredentials(ctx.env),
    insecure: oci.insecureRegistries(ctx.env),
  });
  const bar = progressBar(
    { stderr: ctx.io.stderr, env: ctx.env, format: ctx.format, now: () => ctx.clock.now() },
    ref,
    file.size,
  );
  const source = { stream: () => createReadStream(file.path), size: file.size, digest: file.checksum };
  const pushed = await client
    .push(ref, source, { onProgress: (bytes) => bar.update(bytes), title: basename(file.path) })
    .then(
      (result) => {
        bar.finish();
        return result;
      },
      (err: unknown) => {
        bar.clear();
        if (err instanceof oci.OciError && err.code === 'unauthorized') {
          throw new AuthError(err.message, { hint: err.hint, cause: err });
        }
        throw err;
      },
    );
  const { registry, repository, tag } = oci.parseReference(ref);
  const image = {
    name: `${registry}/${repository}`,
    version: tag as string,
    size: pushed.size,
    checksum: pushed.digest,
  };
  await ctx.out.outcome({
    message: `Pushed firmware ${ref} (${formatByteSize(pushed.size)}, ${pushed.digest})`,
    details: { image, manifestDigest: pushed.manifestDigest },
  });
}

/** The reference with its tag: the one written, else --version; they must agree when both are given. */
function taggedImage(image: string, version: string | undefined): string {
  if (image.includes('@')) {
    throw new UsageError(`--image ${image} names a digest: firmware is pushed to a tag`, 'e.g. --image REPO:1.0.0');
  }
  const tag = imageTag(image);
  if (tag !== undefined && version !== undefined && tag !== version) {
    throw new UsageError(
      `--image ${image} has the tag ${tag}, but --version is ${version}: the tag is the version devices get`,
      'leave out --version, or give the same one',
    );
  }
  if (tag !== undefined) return image;
  if (version === undefined) {
    throw new UsageError(
      `--image ${image} has no tag: give the version as its tag or with --version`,
      `e.g. --image ${image}:1.0.0`,
    );
  }
  return `${image}:${version}`;
}
