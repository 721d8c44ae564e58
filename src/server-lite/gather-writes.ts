// The writes to a socket in one turn of the event loop (a batch of events delivered, the acknowledgements of one
// commit) leave in one system call: corked at the first, uncorked when the turn's work is done.
import type { Socket } from 'node:net';

const corked = new WeakSet<Socket>();

export function gatherWrites(socket: Socket): void {
  if (corked.has(socket)) return;
  corked.add(socket);
  socket.cork();
  process.nextTick(() => {
    corked.delete(socket);
    socket.uncork();
  });
}
