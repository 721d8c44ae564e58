// The DFU protocol's bounds, apart from the codec so that a command can check its flags without loading CBOR.

/** The longest firmware version, in UTF-8 bytes. */
export const MAX_VERSION_BYTES = 255;
