// Where each Drogue Cloud API lives (docs/drogue-api.md), for the client and drg serve alike.
export const REGISTRY_BASE = '/api/registry/v1alpha1';
export const ADMIN_BASE = '/api/admin/v1alpha1';
export const TOKENS_BASE = '/api/tokens/v1alpha1';
export const CONSOLE_INFO = '/api/console/v1alpha1/info';
export const DISCOVERY_VERSION = '/.well-known/drogue-version';
export const DISCOVERY_ENDPOINTS = '/.well-known/drogue-endpoints';
