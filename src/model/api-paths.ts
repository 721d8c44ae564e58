// Where each Drogue Cloud API lives (docs/drogue-api.md), for the client and drg serve alike.
export const REGISTRY_BASE = '/api/registry/v1alpha1';
export const ADMIN_BASE = '/api/admin/v1alpha1';
export const TOKENS_BASE = '/api/tokens/v1alpha1';
export const CONSOLE_INFO = '/api/console/v1alpha1/info';
export const DISCOVERY_VERSION = '/.well-known/drogue-version';
export const DISCOVERY_ENDPOINTS = '/.well-known/drogue-endpoints';
export const COMMAND_BASE = '/api/command/v1alpha1';
/** drg serve's extension: who is connected now (`{"devices": {"<device>": {"since", "protocol"}}}`). */
export const CONNECTIONS_BASE = '/api/connections/v1alpha1';
/** drg serve's extension: the local firmware store, images per application (docs/drogue-api.md, "Firmware store"). */
export const FIRMWARE_BASE = '/api/firmware/v1alpha1';
/** The WebSocket integration's path; `websocket_integration.url` ends with it. */
export const WEBSOCKET_INTEGRATION_PATH = '/api/integration/ws/v1alpha1/';

/** The devices connected to an application, as CONNECTIONS_BASE answers. */
export interface ConnectionsBody {
  devices: Record<string, { since: string; protocol: string }>;
  /** When each device last sent a message or connected (RFC 3339), since the server started; older servers omit it. */
  lastSeen?: Record<string, string>;
}
