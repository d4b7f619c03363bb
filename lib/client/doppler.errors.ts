// Moved to lib/errors; kept for a moment so work in flight still compiles. Not part of the package API.
export * from '../errors/doppler.errors.js';
export { withNote } from '../errors/create-doppler-error.js';
