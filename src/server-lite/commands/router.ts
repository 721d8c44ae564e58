// Commands on their way to devices (docs/drogue-api.md, "Command API"): the device endpoints register who can take
// a command right now (an MQTT connection subscribed to its inbox, an HTTP request waiting with `ct`), and the
// command API dispatches to them. Nothing is stored: a command no one takes is gone (best effort, seed 001).

export interface Command {
  app: string;
  /** The device the command is for. */
  device: string;
  /** The command's name. */
  command: string;
  payload: Buffer;
  contentType?: string;
}

/**
 * Takes a command for `command.device`, either the receiver itself or a device it is a gateway for (the router has
 * already checked that it may). Returns false when it does not take commands for that device (its subscription
 * does not cover it, or its queue is full).
 */
export type CommandReceiver = (command: Command) => boolean;

export class CommandRouter {
  /** app → receiving device → receivers (several during a take-over, or HTTP requests in parallel). */
  private readonly receivers = new Map<string, Map<string, Set<CommandReceiver>>>();

  /** `device` of `app` takes commands through `receiver` until the returned function is called. */
  register(app: string, device: string, receiver: CommandReceiver): () => void {
    const devices = this.receivers.get(app) ?? new Map<string, Set<CommandReceiver>>();
    this.receivers.set(app, devices);
    const set = devices.get(device) ?? new Set<CommandReceiver>();
    devices.set(device, set);
    set.add(receiver);
    return () => {
      set.delete(receiver);
      if (set.size === 0 && devices.get(device) === set) devices.delete(device);
      if (devices.size === 0 && this.receivers.get(app) === devices) this.receivers.delete(app);
    };
  }

  /**
   * Offers the command to the device itself and to each of `gateways` (the enabled devices in its
   * `gatewaySelector.matchNames`), and returns how many took it.
   */
  dispatch(command: Command, gateways: readonly string[]): number {
    const devices = this.receivers.get(command.app);
    if (!devices) return 0;
    let taken = 0;
    for (const receiver of [command.device, ...gateways]) {
      for (const take of devices.get(receiver) ?? []) if (take(command)) taken++;
    }
    return taken;
  }
}
