/**
 * Child process: runs a DopplerEmulator behind a byte-counting TCP proxy and takes orders
 * over IPC (see EmulatorHost in child.ts). Loopback only.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { DopplerEmulator, type EmulatorSeed } from 'nestjs-doppler/testing';
import type { HostRequest, HostStart } from './child.js';

let up = 0;
let down = 0;

async function main(start: HostStart): Promise<void> {
  const emulator = new DopplerEmulator(start.seed as EmulatorSeed, {
    ...(start.rateLimit && { rateLimit: start.rateLimit }),
  });
  await emulator.start();
  const target = emulator.port;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const server = connect(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(server);
    client.on('data', (chunk: Buffer) => {
      up += chunk.length;
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      down += chunk.length;
      client.write(chunk);
    });
    const close = (): void => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('close', close);
    server.on('close', close);
    client.on('error', close);
    server.on('error', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;

  process.on('message', (message: { id: number } & HostRequest) => {
    try {
      let result: unknown;
      switch (message.op) {
        case 'setSecret':
          emulator.setSecret(message.project, message.config, message.name, message.value);
          break;
        case 'bytes':
          result = { up, down };
          break;
        case 'requests':
          result = emulator.requestCount;
          break;
      }
      process.send?.({ id: message.id, result });
    } catch (error: unknown) {
      process.send?.({ id: message.id, error: error instanceof Error ? error.message : 'error' });
    }
  });
  process.once('SIGTERM', () => {
    for (const socket of sockets) socket.destroy();
    proxy.close();
    void emulator.stop().then(() => process.exit(0));
  });
  process.send?.({ url: `http://127.0.0.1:${port}`, directUrl: emulator.url });
}

process.once('message', (start: HostStart) => {
  void main(start);
});
