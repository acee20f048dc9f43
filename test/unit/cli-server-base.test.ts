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

  it('never shows a password of the address in its errors, scheme left out included', () => {
    const message = (url: string) => {
      try {
        serverBase(url);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`${url} was taken`);
    };
    expect(message('ftp://admin:hunter2@tenx.example.com')).to.equal('"ftp://admin:***@tenx.example.com" must be an http or https URL');
    // No scheme: "admin:" reads as one, the rest as a path.
    expect(message('admin:hunter2@tenx.example.com')).to.equal('"admin:***@tenx.example.com" must be an http or https URL');
    expect(message('admin:hunter2@127.0.0.1:3000')).to.equal('"admin:***@127.0.0.1:3000" must be an http or https URL');
    expect(message('localhost:3000')).to.equal('"localhost:3000" must be an http or https URL');
  });
});
