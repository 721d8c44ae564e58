// Sending a command (docs/drogue-api.md, "Command API"), for the command API and the MQTT integration alike: the
// device must exist and be enabled; it goes to the device and each of its enabled gateways that takes commands now.
import type { DevicesComponent } from '../devices/component.js';
import type { Command } from './router.js';

/** `dispatched`: offered to whoever takes it now (maybe no one: best effort); `not-found`: missing or disabled. */
export type CommandOutcome = { outcome: 'dispatched'; receivers: number } | { outcome: 'not-found' };

/** Counted for /metrics: the commands dispatched, and how many receivers took them. */
export function sendCommand(devices: DevicesComponent, command: Command): CommandOutcome {
  const { authenticator, commands, counters } = devices;
  const device = authenticator.current(command.app, command.device);
  if (!device) return { outcome: 'not-found' };
  const gateways = device.gateways.filter((name) => name !== device.name && authenticator.current(command.app, name));
  const receivers = commands.dispatch(command, gateways);
  counters.commands++;
  counters.commandDeliveries += receivers;
  return { outcome: 'dispatched', receivers };
}
