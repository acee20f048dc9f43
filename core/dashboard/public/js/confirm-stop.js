// Asking before a campaign stops answering its link (API.md: a campaign not ACTIVE answers 404 and
// counts no click): from the row's Pause button and from the editor's status alike.

import { confirmAction } from './confirm.js';

/** True when the change keeps the link up, or the person confirms taking it down. */
export async function confirmStop(c, status) {
  if (c.status !== 'ACTIVE' || status === 'ACTIVE') return true;
  const [verb, confirm] = status === 'ARCHIVED' ? ['Archive', 'Archive campaign'] : status === 'DRAFT' ? ['Move to draft', 'Move to draft'] : ['Pause', 'Pause campaign'];
  return confirmAction({
    title: `${verb} ${c.campaignId}?`,
    body: [
      `Its short link answers 404 while it is ${status.toLowerCase()}: visitors reach no destination, and no click is counted or earns a commission.`,
      `${c.partnerId ? `Partner ${c.partnerId} loses that traffic until the campaign is active again. ` : ''}Its data and reward rules stay as they are.`,
    ],
    confirm,
  });
}
