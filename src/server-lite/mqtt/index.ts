// drg serve's server side of MQTT 3.1.1 and 5 (on mqtt-packet), shared by the MQTT device endpoint and the MQTT
// integration. Each supplies a CONNECT handler; the layer does the protocol around it.
//
//   const listener = new MqttListener({
//     name: 'the MQTT device endpoint', port: 1883, bind: '127.0.0.1',
//     tls: { port: 8883, key, cert },                  // optional: the same handler on a TLS port
//     limits: { maxPacketSize, connectTimeoutMs, ... }, // see MqttListenerLimits, DEFAULT_MQTT_LISTENER_LIMITS
//     log,                                             // MqttLog: RateLimitedLog fits; dropped(reason) counts
//     connect: async (connection, packet) => {         // the CONNECT (packet.protocolVersion 3, 4 or 5)
//       if (!ok) return { refuse: 'bad-credentials', reason: 'why, one line' }; // → CONNACK with the code
//       return { session: { publish, subscribe, unsubscribe?, closed }, properties? }; // → CONNACK success
//     },
//   });
//   await listener.start();   // binds (StartError when it cannot); listener.port, listener.tlsPort
//   listener.open();          // answers connections from now on (those that came meanwhile were held)
//   await listener.close();   // stops accepting; every client gets DISCONNECT 0x8B (MQTT 5) and is closed
//
// Refusals (Refusal in codes.ts): 'bad-credentials' (3.1.1 code 4 / MQTT 5 0x86), 'not-authorized' (5 / 0x87),
// 'unavailable' (3 / 0x88), 'busy' (3 / 0x89), 'quota-exceeded' (3 / 0x97), 'packet-too-large' (3 / 0x95),
// 'bad-client-id' (2 / 0x85), 'qos-not-supported' (3 / 0x9B), 'topic-name-invalid' (the will's; 5 / 0x90),
// 'unspecified' (5 / 0x80). A refused client gets its CONNACK and is closed. A connection over `maxConnections`
// is refused with 'busy'.
//
// The session (MqttSession in connection.ts) gets PUBLISH (QoS 0 and 1), SUBSCRIBE, UNSUBSCRIBE, and `closed` once.
// Its answers may be promises: the connection writes PUBACK / SUBACK / UNSUBACK in the order the packets came,
// and stops reading the peer while `maxInflightIn` answers are pending (MQTT 5 CONNACK receive maximum). `publish`
// resolves with undefined when the message is accepted (then the PUBACK goes out), or with a PublishRefusal
// `{ reasonCode, reason }`: MQTT 5 PUBACK with that code at QoS 1 (a DISCONNECT for codes PUBACK cannot carry, and
// at QoS 0), MQTT 3.1.1 closes. `subscribe` returns one code per filter: the granted QoS, or 0x80 and up (3.1.1: 0x80).
// `closed({ graceful, reason })`: graceful when the peer sent DISCONNECT (not 0x04 "with will"); else its will is due.
//
// The connection (MqttConnection), for handlers: protocolVersion, clientId, remoteAddress, secure,
// peerCertificates() (the TLS client chain, DER, leaf first), publish({ topic, payload, qos?, properties? }, onAck?)
// → 'sent' | 'closed' | 'inflight-full' | 'too-large' (QoS 1 gets a packet id, onAck(reasonCode) on its PUBACK),
// whenDrained(), writableLength, disconnect(reasonCode?, reason?) (MQTT 5 sends DISCONNECT with the code first, e.g.
// ReasonCode.SessionTakenOver), closed.
//
// What the layer enforces itself: the first packet must be a whole CONNECT within connectTimeoutMs (else closed,
// as is anything that is not MQTT); keep-alive (1.5 × the client's keep-alive without a packet: closed, MQTT 5 with
// DISCONNECT 0x8D); packets over maxPacketSize (announced in the MQTT 5 CONNACK; DISCONNECT 0x95, 3.1.1 closed);
// malformed packets (0x81) and protocol errors (0x82: a second CONNECT, QoS 2 PUBLISH → 0x9B, a topic alias → 0x94);
// PINGREQ → PINGRESP; a peer that leaves more than maxWriteBuffer bytes unread is dropped. MQTT 5 CONNACKs announce
// maximum QoS 1, no topic aliases, and assign a client id when the client sent none.
export { REFUSALS, ReasonCode, type Refusal } from './codes.js';
export {
  type CloseInfo,
  type ConnectHandler,
  type ConnectOutcome,
  DEFAULT_MQTT_LIMITS,
  MqttConnection,
  type MqttLimits,
  type MqttLog,
  type MqttSession,
  type OutboundMessage,
  type ProtocolVersion,
  type PublishOutcome,
  type PublishRefusal,
} from './connection.js';
export {
  advertisedHost,
  DEFAULT_MQTT_LISTENER_LIMITS,
  MqttListener,
  type MqttListenerLimits,
  type MqttListenerOptions,
} from './listener.js';
