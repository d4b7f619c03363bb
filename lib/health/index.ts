// The `nestjs-doppler/health` entry point. It imports @nestjs/terminus, an optional peer
// dependency, which is why it is not re-exported from the main entry: apps without Terminus
// must be able to load 'nestjs-doppler'.
export { DopplerHealthIndicator } from './doppler-health.indicator.js';
export {
  DEFAULT_DOPPLER_HEALTH_MAX_AGE_MS,
  DEFAULT_DOPPLER_HEALTH_MAX_STREAM_DOWN_MS,
  type DopplerHealthDetails,
  type DopplerHealthOptions,
} from './doppler-health.js';
