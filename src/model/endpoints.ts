// Discovery (docs/drogue-api.md, "Discovery"): the endpoints a server serves, shared by client and server.

/** `/.well-known/drogue-endpoints`; services the server does not run are absent. */
export interface Endpoints {
  api?: string;
  console?: string;
  issuer_url?: string;
  redirect_url?: string;
  command_url?: string;
  registry?: { url: string };
  http?: { url: string };
  coap?: { url: string };
  mqtt_ws?: { url: string };
  mqtt_integration_ws?: { url: string };
  websocket_integration?: { url: string };
  mqtt?: { host: string; port: number };
  mqtt_integration?: { host: string; port: number };
  /** Omitted when false. */
  local_certs?: boolean;
  kafka_bootstrap_servers?: string;
  /** (extension) MQTT over TLS and the HTTP device endpoint over TLS. */
  mqtts?: { host: string; port: number };
  https?: { url: string };
  /** (extension) With local_certs: the file of the local CA's certificate, which TLS clients trust. */
  local_ca_file?: string;
  /** (extension) The WebSocket integration replays kept events: `?since=<RFC 3339>` and `?from_start=true`. */
  event_replay?: boolean;
}
