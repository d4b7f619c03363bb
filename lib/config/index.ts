// The `nestjs-doppler/config` entry point. It imports @nestjs/config, an optional peer
// dependency, which is why it is not re-exported from the main entry: apps without
// @nestjs/config must be able to load 'nestjs-doppler'.
export { DopplerConfigModule, type DopplerConfigModuleOptions } from './doppler-config.module.js';
export type { DopplerConfig, DopplerSecretsConfig } from './doppler-config.types.js';
