import { Logger } from '@nestjs/common';

/** The loader logs one line per bootstrap and per failed refresh; a thousand replicas would drown the output. */
export class SilentLogger extends Logger {
  override log(): void {}
  override warn(): void {}
  override error(): void {}
  override debug(): void {}
  override verbose(): void {}
}
