// Firmware from OCI registries for the agent in drg serve (spec.firmware.container): the OCI client and its bounded
// cache, made on first use.
import { ImageUnavailableError } from '../../firmware/agent.js';
import type { RegistryImages } from './agent.js';

export function ociImages(_dataDir: string): () => RegistryImages {
  return () => ({
    get: async (image) => {
      throw new ImageUnavailableError(`cannot pull ${image}: OCI registries are not supported yet`);
    },
  });
}
