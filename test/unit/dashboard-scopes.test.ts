import { expect } from 'chai';
import { SCOPES } from '../../core/http/route.ts';
import { HANDLE_SCOPES } from '../../core/dashboard/public/js/handle-scopes.js';

// The dashboard's Access tokens form keeps its own copy (its checkboxes): it cannot import the server's modules.
describe("the dashboard's token form", () => {
  it('offers exactly the scopes the server gives handle tokens, in its order', () => {
    expect([...HANDLE_SCOPES]).to.deep.equal([...SCOPES]);
  });
});
