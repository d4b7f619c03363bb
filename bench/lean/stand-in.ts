/**
 * Child process: the loopback stand-in for Doppler that the lean sections fetch from, the
 * bundled emulator (the public `nestjs-doppler/testing` entry point), in its own process so
 * its CPU time never lands in the measuring one. Sends its URL over IPC, stops on SIGTERM.
 */
import { DopplerEmulator, type EmulatorSeed } from 'nestjs-doppler/testing';

process.once('message', (seed: EmulatorSeed) => {
  const emulator = new DopplerEmulator(seed);
  void emulator.start().then((url) => process.send?.({ url }));
  process.once('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
});
