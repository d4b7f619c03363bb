import { STATUS_CODES, type ServerResponse } from 'node:http';
import { JSON_CONTENT_TYPE, dopplerErrorBody } from './emulator-errors.js';
import type {
  EmulatorDripFault,
  EmulatorFault,
  EmulatorRawFault,
  EmulatorResetFault,
  EmulatorStatusFault,
} from './emulator-faults.js';

/** Status recorded in the request log for a fault that never sends a status line. */
export const NO_RESPONSE_STATUS = 0;

/**
 * Serves a fault instead of the normal answer.
 *
 * @returns the status sent (or {@link NO_RESPONSE_STATUS}), for the request log
 */
export function respondWithFault(fault: EmulatorFault, res: ServerResponse): number {
  switch (fault.kind) {
    case 'status':
      return sendStatus(fault, res);
    case 'raw':
      return sendRaw(fault, res);
    case 'hang':
      // Deliberately nothing: the open socket is tracked by the emulator and destroyed by stop().
      return NO_RESPONSE_STATUS;
    case 'drip':
      return drip(fault, res);
    case 'reset':
      return reset(fault, res);
    case 'redirect': {
      const status = fault.status ?? 302;
      res.writeHead(status, { location: fault.location, 'content-length': '0' });
      res.end();
      return status;
    }
  }
}

function sendStatus(fault: EmulatorStatusFault, res: ServerResponse): number {
  const body = Buffer.from(fault.body ?? dopplerErrorBody(STATUS_CODES[fault.status] ?? 'Injected fault'));
  res.writeHead(fault.status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': String(body.length),
    ...lowerCaseKeys(fault.headers),
  });
  res.end(body);
  return fault.status;
}

function sendRaw(fault: EmulatorRawFault, res: ServerResponse): number {
  const status = fault.status ?? 200;
  const body = typeof fault.body === 'string' ? Buffer.from(fault.body) : fault.body;
  // A caller-supplied content-length wins, so "lying length" servers can be simulated.
  res.writeHead(status, { 'content-length': String(body.length), ...lowerCaseKeys(fault.headers) });
  res.end(body);
  return status;
}

function drip(fault: EmulatorDripFault, res: ServerResponse): number {
  const body = fault.body ? Buffer.from(fault.body) : undefined;
  const finite = body !== undefined && fault.repeat !== true;
  res.writeHead(200, {
    'content-type': JSON_CONTENT_TYPE,
    ...(finite ? { 'content-length': String(body.length) } : {}),
  });
  res.flushHeaders();
  let index = 0;
  const timer = setInterval(() => {
    if (res.destroyed || res.writableEnded) {
      clearInterval(timer);
      return;
    }
    if (body === undefined) {
      res.write(' ');
      return;
    }
    if (index >= body.length) {
      if (finite) {
        clearInterval(timer);
        res.end();
        return;
      }
      index = 0;
    }
    res.write(body.subarray(index, index + 1));
    index += 1;
  }, fault.intervalMs);
  res.once('close', () => clearInterval(timer));
  return 200;
}

function reset(fault: EmulatorResetFault, res: ServerResponse): number {
  const socket = res.socket;
  const sent = fault.afterBytes ?? 16;
  const announced = sent + 64;
  const partial = Buffer.from(`{"DOPPLER_PROJECT":"${'x'.repeat(announced)}`).subarray(0, sent);
  const head =
    'HTTP/1.1 200 OK\r\n' + `content-type: ${JSON_CONTENT_TYPE}\r\n` + `content-length: ${announced}\r\n\r\n`;
  // Written straight to the socket so the destroy happens only after these bytes are flushed.
  socket?.write(Buffer.concat([Buffer.from(head, 'latin1'), partial]), () => socket.destroy());
  return 200;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
