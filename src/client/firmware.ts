// drg serve's firmware store (docs/drogue-api.md, "Firmware store"): the images of an application by name and
// version. A push streams the image with its checksum up front, so that the server can refuse it (a conflict, no
// access) before the bytes are sent, and checks them as they arrive.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ProtocolError } from '../errors.js';
import { FIRMWARE_BASE } from '../model/api-paths.js';
import type { ImageInfo } from '../model/firmware.js';
import { CHECKSUM_HEADER, CHECKSUM_PATTERN } from '../model/firmware-images.js';
import { type ApiClient, pathSegment } from './http.js';

export interface ImageUpload {
  /** A new stream of the image's bytes at each call (the transport may send it again: a redirect, a retry). */
  open: () => Readable;
  size: number;
  /** `sha256:<hex>` of the bytes. */
  checksum: string;
}

export function imagesPath(app: string): string {
  return `${FIRMWARE_BASE}/apps/${pathSegment(app)}/images`;
}

function imagePath(app: string, name: string, version: string): string {
  return `${imagesPath(app)}/${pathSegment(name)}/${pathSegment(version)}`;
}

export class FirmwareClient {
  constructor(readonly api: ApiClient) {}

  /** The application's images, by name, then newest first. */
  async list(app: string): Promise<ImageInfo[]> {
    return imageList(await this.api.get<unknown>(imagesPath(app)), imagesPath(app));
  }

  /** The versions of `name`, newest first (an ApiError 404 when there are none). */
  async versions(app: string, name: string): Promise<ImageInfo[]> {
    const path = `${imagesPath(app)}/${pathSegment(name)}`;
    return imageList(await this.api.get<unknown>(path), path);
  }

  async get(app: string, name: string, version: string): Promise<ImageInfo> {
    const path = imagePath(app, name, version);
    return imageOf((await this.api.get<unknown>(path)).body, path);
  }

  /**
   * Uploads the image; `created` is false when the same image was there already. `onProgress` gets the bytes
   * read so far. A 409 means that the name and version exist with other bytes.
   */
  async push(
    app: string,
    name: string,
    version: string,
    image: ImageUpload,
    onProgress?: (bytes: number) => void,
  ): Promise<{ info: ImageInfo; created: boolean }> {
    const path = imagePath(app, name, version);
    const open = () => {
      const source = image.open();
      if (!onProgress) return source;
      let read = 0;
      return source.on('data', (chunk: Buffer) => {
        read += chunk.length;
        onProgress(read);
      });
    };
    const { status, body } = await this.api.put<unknown>(path, {
      payload: { data: { size: image.size, open }, contentType: 'application/octet-stream' },
      headers: { [CHECKSUM_HEADER]: image.checksum },
    });
    return { info: imageOf(body, path), created: status === 201 };
  }

  /** The image's bytes, checked against its size and checksum. */
  async download(app: string, name: string, version: string): Promise<{ info: ImageInfo; data: Buffer }> {
    const info = await this.get(app, name, version);
    const path = `${imagePath(app, name, version)}/content`;
    const { body } = await this.api.getBytes(path, { maxBytes: info.size });
    const data = body ?? Buffer.alloc(0);
    const checksum = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (data.length !== info.size || checksum !== info.checksum) {
      throw new ProtocolError(
        `${this.api.baseUrl}${path} sent ${data.length} bytes with checksum ${checksum}, not the image's ${info.size} bytes with ${info.checksum}`,
      );
    }
    return { info, data };
  }

  async delete(app: string, name: string, version: string): Promise<void> {
    await this.api.delete(imagePath(app, name, version));
  }
}

function imageList(response: { body: unknown }, path: string): ImageInfo[] {
  if (!Array.isArray(response.body)) throw notImages(path);
  return response.body.map((item) => imageOf(item, path));
}

/** The ImageInfo of an answer, its fields checked: they end up in tables and in spec.firmware. */
function imageOf(value: unknown, path: string): ImageInfo {
  const v = value as Partial<ImageInfo> | undefined;
  const valid =
    typeof v?.name === 'string' &&
    typeof v.version === 'string' &&
    Number.isSafeInteger(v.size) &&
    typeof v.checksum === 'string' &&
    CHECKSUM_PATTERN.test(v.checksum) &&
    (v.created === undefined || typeof v.created === 'string');
  if (!valid) throw notImages(path);
  const { name, version, size, checksum, created } = v as ImageInfo;
  return { name, version, size, checksum, ...(created === undefined ? {} : { created }) };
}

function notImages(path: string): ProtocolError {
  return new ProtocolError(`${path} did not answer with firmware images: is this a drg serve?`);
}
