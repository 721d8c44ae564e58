// The OCI registry client for firmware artifacts: pull (resolve, download, fetch) and push, a bounded image cache.
export { type CachedImage, type ImagePullPolicy, OciImageCache } from './cache.js';
export {
  OciClient,
  type OciClientOptions,
  type PushOptions,
  type PushResult,
  type PushSource,
  type RegistryCredentials,
} from './client.js';
export { insecureRegistries, registryCredentials } from './credentials.js';
export { OciError, type OciErrorCode } from './errors.js';
export { formatReference, type ImageReference, parseReference } from './reference.js';
