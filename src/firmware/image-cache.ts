// Firmware images in memory, bounded by their bytes (the least recently used go first); concurrent gets of one
// image share one load, and a failed load is not kept.
import type { ImageInfo } from '../model/firmware.js';

export interface LoadedImage {
  info: ImageInfo;
  /** Shared with other callers: never to be changed. */
  data: Buffer;
}

export class ImageCache {
  private readonly images = new Map<string, Promise<LoadedImage>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string, load: () => Promise<LoadedImage>): Promise<LoadedImage> {
    const cached = this.images.get(key);
    if (cached) {
      this.images.delete(key);
      this.images.set(key, cached);
      return cached;
    }
    const loading = load();
    this.images.set(key, loading);
    loading.then(
      (image) => this.loaded(key, image.data.length),
      () => this.images.delete(key),
    );
    return loading;
  }

  private loaded(key: string, size: number): void {
    if (!this.images.has(key)) return;
    this.sizes.set(key, size);
    this.bytes += size;
    for (const oldest of this.images.keys()) {
      if (this.bytes <= this.maxBytes || oldest === key) break;
      this.images.delete(oldest);
      this.bytes -= this.sizes.get(oldest) ?? 0;
      this.sizes.delete(oldest);
    }
  }
}
