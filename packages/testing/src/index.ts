export { basicAuth } from './credentials.js';
export {
  createFakeCrisp,
  type FakeCrisp,
  type FakeCrispUser,
  fakeCrispScript,
} from './fakeCrisp.js';
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
  SetWebhookOptions,
  WebhookDelivery,
  WebhookEvent,
  WebhookTarget,
} from './types.js';
export { signCrispWebhook } from './webhooks.js';
