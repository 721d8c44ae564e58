// mqtt-packet's `debug` (scripts/build.mjs): its parser calls it about a dozen times per packet, which took ~5% of the
// MQTT endpoints' CPU while switched off. Bundled in its place, a debugger that is always off and does nothing.
const off = () => {};
off.enabled = false;
module.exports = () => off;
