// A client of the OCI distribution API for firmware artifacts (DFU.md, "Where firmware lives"): the image is the
// first `application/octet-stream` layer of an image manifest, its version the tag, its checksum the layer's
// digest. Pushes make what `oras push REF fw.bin:application/octet-stream` makes (oras 1.x, image-spec v1.1: the
// empty config, artifactType application/vnd.unknown.artifact.v1). Requests go through the client's transport
// (proxies, timeouts, redirects to blob storage); bodies stream both ways; every digest is checked.
import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import {
  open,
  type StreamBody,
  TransportError,
  type TransportRequest,
  type TransportResponse,
} from '../../client/transport.js';
import type { ImageInfo } from '../../model/firmware.js';
import { rfc3339Seconds } from '../../model/time.js';
import { type Access, type AuthContext, RegistryAuth, unauthorized } from './auth.js';
import { insecureRegistries, type RegistryCredentials, registryCredentials } from './credentials.js';
import { OciError } from './errors.js';
import {
  apiHost,
  formatReference,
  type ImageReference,
  isLoopback,
  parseReference,
  SHA256_DIGEST,
} from './reference.js';

export type { RegistryCredentials } from './credentials.js';

export interface OciClientOptions {
  /** Registry host → credentials; default: DRG_REGISTRY_USERNAME/PASSWORD, then ~/.docker/config.json auths. */
  credentials?: (registry: string) => RegistryCredentials | undefined;
  /**
   * http instead of https for these registries (loopback is http by default, as docker does); default: those
   * DRG_INSECURE_REGISTRIES names.
   */
  insecure?: (registry: string) => boolean;
  /** The largest layer `fetch` and `download` read into memory (default 64 MiB). */
  maxImageBytes?: number;
}

/** A layer to push from a stream: `stream` is called for each attempt, `digest` is `sha256:<hex>` of its bytes. */
export interface PushSource {
  stream: () => NodeJS.ReadableStream;
  size: number;
  digest: string;
}

export interface PushOptions {
  /** Called as the layer's bytes go out, with the bytes sent so far. */
  onProgress?(bytes: number): void;
  /** The layer's file name (`org.opencontainers.image.title`, what `oras pull` names the file); default `<repo>.bin`. */
  title?: string;
}

export interface PushResult {
  /** The layer's digest: the image's checksum. */
  digest: string;
  manifestDigest: string;
  size: number;
}

export const FIRMWARE_LAYER = 'application/octet-stream';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const IMAGE_MANIFESTS = [OCI_MANIFEST, DOCKER_MANIFEST];
const INDEXES = [OCI_INDEX, DOCKER_MANIFEST_LIST];
const ACCEPT = [...IMAGE_MANIFESTS, ...INDEXES].join(', ');

/** oras's: the empty JSON config of image-spec v1.1, and the artifact type it sets when none is given. */
const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', data: Buffer.from('{}') };
const ARTIFACT_TYPE = 'application/vnd.unknown.artifact.v1';
const TITLE = 'org.opencontainers.image.title';
const CREATED = 'org.opencontainers.image.created';

const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;
/** distribution's own limit for a manifest. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;
const SMALL_REQUEST_DEADLINE_MS = 120_000;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

interface Manifest {
  mediaType: string;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, unknown>;
}

/** One operation on one repository: where, with which access, and its credentials. */
interface Operation extends AuthContext {
  image: ImageReference;
  base: string;
}

interface Exchange extends Omit<TransportRequest, 'url'> {
  /** Under the repository's base URL, or absolute (an upload's Location). */
  path: string;
  /** Whether the registry's credentials go with it (default: yes). */
  sendCredentials?: boolean;
}

export class OciClient {
  private readonly auth = new RegistryAuth();
  private readonly credentials: (registry: string) => RegistryCredentials | undefined;
  private readonly insecure: (registry: string) => boolean;
  private readonly maxImageBytes: number;

  constructor(options: OciClientOptions = {}) {
    this.credentials = options.credentials ?? registryCredentials();
    this.insecure = options.insecure ?? insecureRegistries();
    this.maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  }

  /** Resolves REF (registry/repo:tag) to its firmware layer: version = tag; checksum = layer digest. */
  async resolve(ref: string): Promise<ImageInfo> {
    const operation = this.operation(ref, 'pull');
    const { manifest, reference } = await this.imageManifest(operation);
    const layer = manifest.layers?.find((l) => l.mediaType === FIRMWARE_LAYER);
    if (!layer) {
      const types = [...new Set(manifest.layers?.map((l) => l.mediaType))].join(', ') || 'none';
      throw new OciError(`${reference}: no ${FIRMWARE_LAYER} layer (layers: ${types})`, {
        code: 'unsupported',
        hint: `push the firmware as one: drg firmware push FILE --image ${reference}`,
      });
    }
    const created = manifest.annotations?.[CREATED];
    const { registry, repository, tag, digest } = operation.image;
    return {
      name: `${registry}/${repository}`,
      version: tag ?? (digest as string),
      size: layer.size,
      checksum: layer.digest,
      ...(typeof created === 'string' ? { created } : {}),
    };
  }

  /** The layer `info` (from `resolve`) names, digest and size verified. */
  async download(ref: string, info: ImageInfo): Promise<Buffer> {
    const operation = this.operation(ref, 'pull');
    const reference = formatReference(operation.image);
    if (!SHA256_DIGEST.test(info.checksum)) {
      throw new OciError(`${reference}: the layer's digest is not sha256`, { code: 'unsupported' });
    }
    if (info.size > this.maxImageBytes) {
      throw new OciError(
        `${reference}: the layer is ${info.size} bytes, more than the limit of ${this.maxImageBytes}`,
        {
          code: 'too-large',
        },
      );
    }
    const response = await this.exchange(operation, { method: 'GET', path: `/blobs/${info.checksum}` });
    if (response.status !== 200) throw await failure(operation, response, `${reference}: the layer ${info.checksum}`);
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > info.size) {
          response.body.destroy();
          throw mismatch(reference, `more than ${info.size} bytes`);
        }
        hash.update(chunk);
        chunks.push(chunk);
      }
    } catch (err) {
      throw networkError(operation, err);
    }
    const digest = `sha256:${hash.digest('hex')}`;
    if (received !== info.size) throw mismatch(reference, `${received} bytes instead of ${info.size}`);
    if (digest !== info.checksum) throw mismatch(reference, `bytes of ${digest} instead of ${info.checksum}`);
    return Buffer.concat(chunks, received);
  }

  /** The layer's bytes, digest verified. */
  async fetch(ref: string): Promise<{ info: ImageInfo; data: Buffer }> {
    const info = await this.resolve(ref);
    return { info, data: await this.download(ref, info) };
  }

  /** Pushes `data` as the oras format of DFU.md (config + one application/octet-stream layer), tag = ref's tag. */
  async push(ref: string, data: Buffer | PushSource, options: PushOptions = {}): Promise<PushResult> {
    const operation = this.operation(ref, 'push');
    const { repository, tag } = operation.image;
    if (tag === undefined) {
      throw new OciError(`${formatReference(operation.image)}: an image is pushed to a tag, not a digest`, {
        code: 'reference',
      });
    }
    const layer = Buffer.isBuffer(data) ? bufferSource(data) : data;
    if (!SHA256_DIGEST.test(layer.digest)) {
      throw new OciError(`the layer's digest must be sha256:<64 hex digits>`, { code: 'reference' });
    }
    await this.uploadBlob(operation, layer, options.onProgress);
    const config = bufferSource(EMPTY_CONFIG.data);
    await this.uploadBlob(operation, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: ARTIFACT_TYPE,
        config: {
          mediaType: EMPTY_CONFIG.mediaType,
          digest: config.digest,
          size: config.size,
          data: EMPTY_CONFIG.data.toString('base64'),
        },
        layers: [
          {
            mediaType: FIRMWARE_LAYER,
            digest: layer.digest,
            size: layer.size,
            annotations: { [TITLE]: options.title ?? `${repository.split('/').pop()}.bin` },
          },
        ],
        annotations: { [CREATED]: rfc3339Seconds(Date.now()) },
      }),
    );
    const response = await this.exchange(operation, {
      method: 'PUT',
      path: `/manifests/${tag}`,
      headers: { 'content-type': OCI_MANIFEST },
      body: manifest,
      maxBytes: MAX_ERROR_BYTES,
      deadlineMs: SMALL_REQUEST_DEADLINE_MS,
    });
    if (response.status !== 201)
      throw await failure(operation, response, `${formatReference(operation.image)}: the manifest`);
    response.body.resume();
    return { digest: layer.digest, manifestDigest: sha256(manifest), size: layer.size };
  }

  private operation(ref: string, access: Access): Operation {
    const image = parseReference(ref);
    const { registry, repository } = image;
    const scheme = isLoopback(registry) || this.insecure(registry) ? 'http' : 'https';
    return {
      image,
      registry,
      repository,
      access,
      credentials: this.credentials(registry),
      subject: `${registry}/${repository}`,
      base: `${scheme}://${apiHost(registry)}/v2/${repository}`,
    };
  }

  /** The image manifest the reference names: through an index, its first image manifest. */
  private async imageManifest(operation: Operation): Promise<{ manifest: Manifest; reference: string }> {
    const { image } = operation;
    const reference = formatReference(image);
    const top = await this.manifest(operation, image.digest ?? (image.tag as string));
    if (!INDEXES.includes(top.mediaType)) return { manifest: top, reference };
    const entry = top.manifests?.find((m) => IMAGE_MANIFESTS.includes(m.mediaType));
    if (!entry) {
      throw new OciError(`${reference}: the index lists no image manifest`, { code: 'unsupported' });
    }
    return { manifest: await this.manifest(operation, entry.digest), reference };
  }

  private async manifest(operation: Operation, reference: string): Promise<Manifest> {
    const shown = `${operation.subject}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
    const response = await this.exchange(operation, {
      method: 'GET',
      path: `/manifests/${reference}`,
      headers: { accept: ACCEPT },
      maxBytes: MAX_MANIFEST_BYTES,
      deadlineMs: SMALL_REQUEST_DEADLINE_MS,
    });
    if (response.status !== 200) throw await failure(operation, response, shown);
    const body = await readBody(operation, response);
    if (reference.startsWith('sha256:') && sha256(body) !== reference) {
      throw mismatch(shown, `a manifest of ${sha256(body)}`);
    }
    const manifest = parseManifest(
      body,
      String(response.headers['content-type'] ?? '')
        .split(';')[0]
        .trim(),
    );
    if (typeof manifest === 'string') {
      throw new OciError(`${shown}: ${manifest}`, {
        code: 'unsupported',
        hint: 'push it with drg firmware push --image',
      });
    }
    return manifest;
  }

  private async uploadBlob(
    operation: Operation,
    blob: PushSource,
    onProgress?: (bytes: number) => void,
  ): Promise<void> {
    const exists = await this.exchange(operation, {
      method: 'HEAD',
      path: `/blobs/${blob.digest}`,
      deadlineMs: SMALL_REQUEST_DEADLINE_MS,
    });
    exists.body.resume();
    if (exists.status === 200) {
      onProgress?.(blob.size);
      return;
    }
    const started = await this.exchange(operation, {
      method: 'POST',
      path: '/blobs/uploads/',
      body: '',
      maxBytes: MAX_ERROR_BYTES,
      deadlineMs: SMALL_REQUEST_DEADLINE_MS,
    });
    const location = started.headers.location;
    if (started.status !== 202 || !location) throw await failure(operation, started, `${operation.subject}: an upload`);
    started.body.resume();
    const url = new URL(location, operation.base);
    // A failure of the source is the caller's own (a file that cannot be read), not the registry's.
    let unreadable: Error | undefined;
    const openBody = () => {
      const source = blob.stream();
      source.once('error', (err) => {
        unreadable ??= err;
      });
      return counted(source, onProgress);
    };
    const body: StreamBody = { size: blob.size, open: openBody };
    const response = await this.exchange(operation, {
      method: 'PUT',
      path: `${url.href}${url.search ? '&' : '?'}digest=${encodeURIComponent(blob.digest)}`,
      headers: { 'content-type': 'application/octet-stream' },
      body,
      maxBytes: MAX_ERROR_BYTES,
      // Credentials go to the registry only, not to another host it sends the upload to.
      sendCredentials: url.origin === new URL(operation.base).origin,
    }).catch((err: unknown) => {
      throw unreadable ?? err;
    });
    if (response.status !== 201)
      throw await failure(operation, response, `${operation.subject}: the blob ${blob.digest}`);
    response.body.resume();
  }

  /**
   * One request with the credentials the registry asks for: what is known is sent at once; a 401 is answered from
   * its challenge (a token, or Basic credentials) and the request sent once more.
   */
  private async exchange(
    operation: Operation,
    { path, sendCredentials = true, ...request }: Exchange,
  ): Promise<TransportResponse<Readable>> {
    const url = /^https?:\/\//.test(path) ? path : `${operation.base}${path}`;
    const send = (authorization: string | undefined) => {
      const headers = { ...request.headers, ...(authorization && sendCredentials ? { authorization } : {}) };
      return open({ ...request, url, headers }).catch((err) => {
        throw networkError(operation, err);
      });
    };
    let authorization = this.auth.current(operation);
    const response = await send(authorization);
    if (response.status !== 401 || !sendCredentials) return response;
    response.body.resume();
    const challenge = response.headers['www-authenticate'];
    if (authorization) this.auth.forget(operation);
    authorization = await this.auth.answer(operation, challenge);
    const again = await send(authorization);
    if (again.status !== 401) return again;
    again.body.resume();
    this.auth.forget(operation);
    throw unauthorized(operation, 401, operation.credentials !== undefined);
  }
}

function bufferSource(data: Buffer): PushSource {
  return { size: data.length, digest: sha256(data), stream: () => Readable.from([data]) };
}

/** The source's bytes, `onProgress` told the count so far as they pass. */
function counted(source: NodeJS.ReadableStream, onProgress?: (bytes: number) => void): Readable {
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      sent += chunk.length;
      onProgress?.(sent);
      next(null, chunk);
    },
  });
  // An error of either ends both: a file is closed when the upload stops early.
  pipeline(source, counter, () => {});
  return counter;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A manifest's fields this client reads, or what is wrong with it. */
function parseManifest(body: Buffer, contentType: string): Manifest | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return 'the manifest is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the manifest is not a JSON object';
  const { schemaVersion, mediaType, layers, manifests, annotations } = value as Record<string, unknown>;
  if (schemaVersion !== 2) return `schemaVersion ${JSON.stringify(schemaVersion)} manifests are not supported (only 2)`;
  const type = typeof mediaType === 'string' ? mediaType : contentType;
  const isIndex = INDEXES.includes(type) || (!IMAGE_MANIFESTS.includes(type) && Array.isArray(manifests));
  const list = isIndex ? manifests : layers;
  if (!Array.isArray(list) || !list.every(isDescriptor)) {
    return `its ${isIndex ? 'manifests' : 'layers'} are not a list of descriptors`;
  }
  return {
    mediaType: isIndex && !INDEXES.includes(type) ? OCI_INDEX : type,
    ...(isIndex ? { manifests: list } : { layers: list }),
    ...(typeof annotations === 'object' && annotations !== null
      ? { annotations: annotations as Record<string, unknown> }
      : {}),
  };
}

function isDescriptor(value: unknown): value is Descriptor {
  const { mediaType, digest, size } = (value ?? {}) as Record<string, unknown>;
  return (
    typeof mediaType === 'string' &&
    typeof digest === 'string' &&
    SHA256_DIGEST.test(digest) &&
    Number.isSafeInteger(size) &&
    (size as number) >= 0
  );
}

async function readBody(operation: Operation, response: TransportResponse<Readable>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (err) {
    throw networkError(operation, err);
  }
  return Buffer.concat(chunks);
}

/** The OciError for an answer that is not the one expected, worded by its status and the registry's error code. */
async function failure(operation: Operation, response: TransportResponse<Readable>, what: string): Promise<OciError> {
  const { status } = response;
  const body = await readBody(operation, response).catch(() => Buffer.alloc(0));
  const code = registryErrorCode(body);
  const detail = `(${status}${code ? ` ${code}` : ''})`;
  if (status === 404) return new OciError(`${what}: not found ${detail}`, { code: 'not-found', status });
  if (status === 403) {
    return new OciError(`${what}: access denied ${detail}`, {
      code: 'denied',
      status,
      hint: `the credentials may not ${operation.access} ${operation.subject}`,
    });
  }
  if (code === 'DIGEST_INVALID') {
    return new OciError(`${what}: digest mismatch: the registry found other bytes than the digest says ${detail}`, {
      code: 'digest-mismatch',
      status,
    });
  }
  return new OciError(`${what}: unexpected answer ${detail}`, { code: 'registry', status });
}

/** The first `code` of distribution's error body `{"errors": [{"code", "message"}]}`. */
function registryErrorCode(body: Buffer): string | undefined {
  try {
    const code = (JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown }[] }).errors?.[0]?.code;
    return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function mismatch(what: string, got: string): OciError {
  return new OciError(`${what}: digest mismatch: the registry sent ${got}`, {
    code: 'digest-mismatch',
    hint: 'the registry or something on the way altered the image: nothing was kept',
  });
}

function networkError(operation: Operation, err: unknown): unknown {
  if (!(err instanceof TransportError)) return err;
  return new OciError(`${operation.subject}: cannot reach ${operation.registry}: ${err.message}`, {
    code: 'network',
    cause: err,
  });
}
