// Where simulated devices connect, from a server's discovery (docs/drogue-api.md, "Discovery"). drg serve lists its
// plain MQTT port as `mqtt` and TLS apart (`mqtts`, an extension; its discovery says `event_replay`), where a Drogue
// Cloud's `mqtt` endpoint is TLS. The HTTP endpoint's scheme says it. drg serve's local CA (`local_ca_file`) is
// trusted for TLS when discovery names it.
import { readFile } from 'node:fs/promises';
import type { DiscoveredEndpoints } from '../client/endpoints.js';
import { DrgError } from '../errors.js';
import type { HttpEndpoint, MqttEndpoint } from './links.js';

export async function deviceEndpoint(
  endpoints: DiscoveredEndpoints,
  protocol: 'mqtt' | 'http',
  server: string,
): Promise<{ mqtt: MqttEndpoint } | { http: HttpEndpoint }> {
  if (protocol === 'mqtt') {
    const mqtt = endpoints.mqtt;
    if (!mqtt || typeof mqtt.host !== 'string' || typeof mqtt.port !== 'number') {
      throw new DrgError(`${server} has no MQTT device endpoint (discovery lists no mqtt)`, {
        hint: 'use --protocol http, or start drg serve with --mqtt-port',
      });
    }
    const tls = endpoints.mqtts === undefined && endpoints.event_replay !== true;
    return { mqtt: { host: mqtt.host, port: mqtt.port, tls, ca: tls ? await localCa(endpoints) : undefined } };
  }
  const url = endpoints.http?.url;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new DrgError(`${server} has no HTTP device endpoint (discovery lists no http)`, {
      hint: 'use --protocol mqtt',
    });
  }
  return { http: { url, ca: url.startsWith('https:') ? await localCa(endpoints) : undefined } };
}

async function localCa(endpoints: DiscoveredEndpoints): Promise<string | undefined> {
  const file = endpoints.local_ca_file;
  if (endpoints.local_certs !== true || typeof file !== 'string') return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new DrgError(`cannot read the server's CA certificate ${file}: ${(error as Error).message}`);
  }
}
