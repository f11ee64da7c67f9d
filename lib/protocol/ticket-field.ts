import type { CallbackFields } from '../protocol/callback-body.js';

/** The custom variable the ticket travels in: the form field `x:ticket`, `x:ticket=${x:ticket}` in the body. */
export const TICKET_VARIABLE = 'x:ticket';

/**
 * Take the ticket out of the callback's variables. It is a credential: no record, answer, listing or
 * log line may hold it, whether or not this receiver checks tickets. An empty value (a form without
 * the field) counts as no ticket.
 */
export function takeTicket(fields: CallbackFields): { fields: CallbackFields; ticket: string | undefined } {
  if (!Object.hasOwn(fields.vars, TICKET_VARIABLE)) return { fields, ticket: undefined };
  const { [TICKET_VARIABLE]: ticket, ...vars } = fields.vars;
  return { fields: { ...fields, vars }, ticket: ticket || undefined };
}
