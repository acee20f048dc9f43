import { expect } from 'chai';
import { serverBase } from '../../scripts/cli/config.ts';

describe('tenx CLI: the server base URL from a pasted address', () => {
  it('drops a dashboard or docs page at the end of the path, and nothing else', () => {
    expect(serverBase('http://localhost:3000/dashboard#/funnel')).to.deep.equal({ url: 'http://localhost:3000', page: '/dashboard' });
    expect(serverBase('http://localhost:3000/dashboard/').url).to.equal('http://localhost:3000');
    expect(serverBase('https://go.example.com/tenx/docs').url).to.equal('https://go.example.com/tenx');
    // A server behind a proxy at a prefix that merely contains "dashboard" keeps its path.
    expect(serverBase('https://corp.example/tools/dashboard/tenx').url).to.equal('https://corp.example/tools/dashboard/tenx');
    expect(serverBase('http://localhost:3000').url).to.equal('http://localhost:3000');
  });
});
