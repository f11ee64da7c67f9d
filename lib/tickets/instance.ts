import { warmInstance } from '../warm-instance.js';
import { loadTicketConfig } from './config.js';
import { createTicketService, refusal } from './service.js';

/**
 * One ticket service per warm instance: configuration and the authenticator (with its JWKS cache) are
 * built on the first invocation; each ticket is signed with the latest invocation's credentials.
 */
const tickets = warmInstance('the ticket function', async (credentials) => createTicketService({ config: loadTicketConfig(), credentials }), (failure) => refusal(failure));

export const ticketInstance = tickets.receiver;

/** For tests: forget the warm instance, as a cold start would. */
export const resetTicketInstance = tickets.reset;
