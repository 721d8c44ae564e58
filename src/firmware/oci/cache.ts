// Firmware layers pulled from OCI registries, kept in memory up to a number of bytes (least recently used go
// first). IfNotPresent serves an image seen before without asking the registry; Always resolves the tag again (one
// manifest request) and downloads only when the layer's digest changed. Concurrent gets of one image, or of two
// images with the same layer, share one request.
import type { ImageInfo } from '../../model/firmware.js';
import type { OciClient } from './client.js';
import { formatReference, parseReference } from './reference.js';

/** Images (references) remembered: many may name one layer, each costs a few hundred bytes. */
const MAX_IMAGES = 10_000;

export type ImagePullPolicy = 'IfNotPresent' | 'Always';

export interface CachedImage {
  info: ImageInfo;
  /** Shared with other callers: never to be changed. */
  data: Buffer;
}

export class OciImageCache {
  private readonly maxBytes: number;
  /** Layers by digest, least recently used first. */
  private readonly layers = new Map<string, Buffer>();
  private bytes = 0;
  /** The last resolution of each image whose layer is cached. */
  private readonly images = new Map<string, ImageInfo>();
  private readonly resolving = new Map<string, Promise<CachedImage>>();
  private readonly downloading = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly client: OciClient,
    options: { maxBytes: number },
  ) {
    this.maxBytes = options.maxBytes;
  }

  async get(image: string, policy: ImagePullPolicy = 'IfNotPresent'): Promise<CachedImage> {
    const key = formatReference(parseReference(image));
    if (policy === 'IfNotPresent') {
      const cached = this.cached(key);
      if (cached) return cached;
    }
    let pending = this.resolving.get(key);
    if (!pending) {
      pending = this.pull(key).finally(() => this.resolving.delete(key));
      this.resolving.set(key, pending);
    }
    return pending;
  }

  private cached(key: string): CachedImage | undefined {
    const info = this.images.get(key);
    const data = info && this.touch(info.checksum);
    return data && { info, data };
  }

  private async pull(key: string): Promise<CachedImage> {
    const info = await this.client.resolve(key);
    const data = this.touch(info.checksum) ?? (await this.download(key, info));
    if (this.layers.has(info.checksum)) {
      this.images.delete(key);
      this.images.set(key, info);
      if (this.images.size > MAX_IMAGES) this.images.delete(this.images.keys().next().value as string);
    }
    return { info, data };
  }

  private download(key: string, info: ImageInfo): Promise<Buffer> {
    let pending = this.downloading.get(info.checksum);
    if (!pending) {
      pending = this.client
        .download(key, info)
        .then((data) => {
          this.store(info.checksum, data);
          return data;
        })
        .finally(() => this.downloading.delete(info.checksum));
      this.downloading.set(info.checksum, pending);
    }
    return pending;
  }

  /** The layer, marked as used just now. */
  private touch(digest: string): Buffer | undefined {
    const data = this.layers.get(digest);
    if (data) {
      this.layers.delete(digest);
      this.layers.set(digest, data);
    }
    return data;
  }

  /** Keeps a layer, evicting the least recently used ones to stay within the bound; one larger than it is not kept. */
  private store(digest: string, data: Buffer): void {
    if (data.length > this.maxBytes || this.layers.has(digest)) return;
    this.layers.set(digest, data);
    this.bytes += data.length;
    for (const [oldest, layer] of this.layers) {
      if (this.bytes <= this.maxBytes) break;
      this.layers.delete(oldest);
      this.bytes -= layer.length;
      for (const [image, info] of this.images) if (info.checksum === oldest) this.images.delete(image);
    }
  }
}
