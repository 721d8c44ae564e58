// Sending a command (docs/drogue-api.md, "Command API"), for the command API and the MQTT integration alike: the
// device must exist and be enabled; it goes to the device and each of its enabled gateways that takes commands now.
import type { DeviceAuthenticator } from '../devices/auth.js';
import type { Command, CommandRouter } from './router.js';

/** `dispatched`: offered to whoever takes it now (maybe no one: best effort); `not-found`: missing or disabled. */
export type CommandOutcome = { outcome: 'dispatched'; receivers: number } | { outcome: 'not-found' };

export function sendCommand(devices: DeviceAuthenticator, router: CommandRouter, command: Command): CommandOutcome {
  const device = devices.current(command.app, command.device);
  if (!device) return { outcome: 'not-found' };
  const gateways = device.gateways.filter((name) => name !== device.name && devices.current(command.app, name));
  return { outcome: 'dispatched', receivers: router.dispatch(command, gateways) };
}
