import type { Budget } from './deadline.js';
import type { CallbackFields } from './protocol/callback-body.js';
import type { UploadStore } from './store/port.js';

/**
 * Optional steps the receiver runs between parsing and recording. They are handed to the receiver
 * when it is built (see build-receiver.ts); the pipeline knows their shape, never their code.
 */
export interface StepContext {
  /** The callback's one deadline budget: pass its signal on, and use it for store calls. */
  budget: Budget;
  store: UploadStore;
}

/**
 * Decide whether this upload may be recorded, and by whom it was made: the uploader's name, or null
 * when the step has no one to name. Refuses with a `CallbackError` (403 and its own code).
 * `ticket` is the value of `x:ticket`, already taken out of the fields so it is never stored.
 */
export type AuthorizeStep = (fields: CallbackFields, ticket: string | undefined, context: StepContext) => Promise<string | null>;

/**
 * Confirm that the upload the callback describes is there before it is recorded (confirm mode):
 * returns when it is, refuses with a `CallbackError` when it is not (403) or cannot be told (503).
 * Runs after authorize, within the same budget.
 */
export type ConfirmStep = (fields: CallbackFields, context: StepContext) => Promise<void>;
