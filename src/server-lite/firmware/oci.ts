// Firmware from OCI registries for the agent in drg serve (spec.firmware.container): the OCI client with its
// bounded cache, made on first use. A registry that cannot give the image leaves the device waiting, and says why.
import { ImageUnavailableError } from '../../firmware/agent.js';
import { OciClient, OciImageCache } from '../../firmware/oci/index.js';
import type { RegistryImages } from './agent.js';

/** Bytes of OCI layers kept in memory. */
const OCI_CACHE_BYTES = 256 * 1024 * 1024;

export function ociImages(): () => RegistryImages {
  let cache: OciImageCache | undefined;
  return () => {
    cache ??= new OciImageCache(new OciClient(), { maxBytes: OCI_CACHE_BYTES });
    const images = cache;
    return {
      get: async (image, policy) => {
        try {
          return await images.get(image, policy);
        } catch (err) {
          throw new ImageUnavailableError(`cannot pull ${image}: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
    };
  };
}
