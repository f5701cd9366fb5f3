export { basicAuth } from './credentials.js';
export { type FixtureName, loadFixture } from './loadFixture.js';
export { startCrispEmulator } from './startCrispEmulator.js';
export type {
  CreateSessionOptions,
  CrispEmulator,
  CrispEmulatorOptions,
  EmulatedWebsite,
  EmulatorRequest,
  Fault,
  FaultHandle,
  FaultOptions,
  RequestFilter,
} from './types.js';
