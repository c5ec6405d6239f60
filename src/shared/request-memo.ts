// Memo keys that say where a run came from and who asked: written by the events endpoint, the portal and
// the apply command; read by the portal (its lists, and the rule that nobody decides on their own request).
/** Memo keys of a run started by a person or an event. */
export const REQUEST_MEMO = {
  /** The request (event) id that started the run, to recognise it after a crash. */
  eventId: 'eventId',
  eventType: 'eventType',
  /** `events` or `portal`: the portal lists the runs that carry it. */
  source: 'requestSource',
  /** Who asked (the portal's signed-in user); nobody decides on their own request. */
  requestedBy: 'requestedBy',
} as const;
