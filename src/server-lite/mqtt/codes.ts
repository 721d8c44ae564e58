// MQTT 5 reason codes (OASIS MQTT 5.0, 2.4) the server sends, and how a CONNECT refusal maps to each version.

export const ReasonCode = {
  Success: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  NormalDisconnection: 0x00,
  DisconnectWithWill: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  ServerShuttingDown: 0x8b,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  QuotaExceeded: 0x97,
  PayloadFormatInvalid: 0x99,
  QoSNotSupported: 0x9b,
} as const;

/** Why a CONNECT is refused; each version's CONNACK code comes from REFUSALS. */
export type Refusal =
  | 'bad-credentials'
  | 'not-authorized'
  | 'unavailable'
  | 'busy'
  | 'quota-exceeded'
  | 'packet-too-large'
  | 'bad-client-id'
  | 'qos-not-supported'
  | 'topic-name-invalid'
  | 'unspecified';

/** [MQTT 3.1.1 CONNACK return code, MQTT 5 CONNACK reason code]. */
export const REFUSALS: Record<Refusal, readonly [number, number]> = {
  'bad-credentials': [4, ReasonCode.BadUserNameOrPassword],
  'not-authorized': [5, ReasonCode.NotAuthorized],
  unavailable: [3, ReasonCode.ServerUnavailable],
  busy: [3, ReasonCode.ServerBusy],
  'quota-exceeded': [3, ReasonCode.QuotaExceeded],
  'packet-too-large': [3, ReasonCode.PacketTooLarge],
  'bad-client-id': [2, ReasonCode.ClientIdentifierNotValid],
  'qos-not-supported': [3, ReasonCode.QoSNotSupported],
  // The will's topic.
  'topic-name-invalid': [5, ReasonCode.TopicNameInvalid],
  // 3.1.1 has no general code: not authorized is the nearest a client shows.
  unspecified: [5, ReasonCode.UnspecifiedError],
};
