import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

const open = new Set<Socket>();

// From the import on, so a socket made before the first question is counted too.
subscribe('net.client.socket', (message) => {
  const { socket } = message as { socket: Socket };
  open.add(socket);
  socket.once('close', () => open.delete(socket));
});

/**
 * Client sockets this process has open now (every `net.connect`, the library's requests
 * included), so a test can tell a request still in flight from one that has ended.
 */
export function openClientSockets(): number {
  return open.size;
}
