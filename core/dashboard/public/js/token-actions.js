// What the Access tokens page (page-tokens.js) and a partner's tokens (partner-tokens.js) do alike with a token:
// issue one from a form (name, the scopes ticked, an optional expiry at the end of a UTC day), and act on a row
// after a confirmation (revoke, rotate), the row then redrawn from the API's answer.

import { api } from './api.js';
import { clear, errorBox, busy } from './dom.js';
import { confirmAction } from './confirm.js';
import { redrawRow } from './row-focus.js';

/** A row's answer in place of the row, flashed; the focus follows it (row-focus.js). */
export function replaceRow(tr, fresh, action) {
  fresh.classList.add('flash');
  redrawRow(tr, action, () => {
    tr.replaceWith(fresh);
    return fresh;
  });
}

/**
 * Once the person confirms (`confirm`: confirmAction's options), `run` with the clicked button busy meanwhile;
 * its error shows in the row's `feedback`, titled `failTitle`. On success the row is redrawn, so the button stays busy.
 */
export async function confirmedRowAction(event, { confirm, feedback, failTitle, run }) {
  const button = event.currentTarget; // gone from the event once an await has passed
  if (!(await confirmAction(confirm))) return;
  const done = busy(button);
  clear(feedback);
  try {
    await run();
  } catch (err) {
    done();
    feedback.append(errorBox(err, failTitle));
  }
}

/**
 * An issue form's submit: POSTs to `path` what the fields hold (nothing, and says so, without a scope ticked),
 * resets the form and hands the new token (its secret, shown once) to `onIssued`; the API's error shows in `feedback`.
 */
export async function issueToken(event, { path, form, name, boxes, expires, submit, feedback, failTitle, onIssued }) {
  event.preventDefault();
  clear(feedback); // a secret already shown stays until a new one replaces it or Done hides it
  const scopes = boxes.filter((b) => b.checked).map((b) => b.value);
  if (!scopes.length) return void feedback.append(errorBox({ message: 'Tick at least one scope.' }, 'No scope chosen'));
  const done = busy(submit);
  try {
    const t = await api(path, { method: 'POST', body: {
      name: name.value.trim(), scopes, ...(expires.value && { expiresAt: `${expires.value}T23:59:59.999Z` }),
    } });
    form.reset();
    await onIssued(t);
  } catch (err) {
    feedback.append(errorBox(err, failTitle));
  } finally {
    done();
  }
}
