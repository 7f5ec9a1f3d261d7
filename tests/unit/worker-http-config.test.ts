import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

describe('WORKER_HTTP_PORT and WORKER_HTTP_HOST', () => {
  it('serves nothing when WORKER_HTTP_PORT is unset, and listens on 127.0.0.1 by default', () => {
    assert.deepEqual(loadConfig({}).workerHttp, { port: null, host: '127.0.0.1' });
    assert.deepEqual(loadConfig({ WORKER_HTTP_PORT: '' }).workerHttp.port, null);
  });

  it('takes a port, 0 for any free one, and another interface', () => {
    assert.deepEqual(loadConfig({ WORKER_HTTP_PORT: '9464', WORKER_HTTP_HOST: '0.0.0.0' }).workerHttp, {
      port: 9464,
      host: '0.0.0.0',
    });
    assert.equal(loadConfig({ WORKER_HTTP_PORT: '0' }).workerHttp.port, 0);
    assert.equal(loadConfig({ WORKER_HTTP_HOST: '::1' }).workerHttp.host, '::1');
  });

  it('refuses a bad port or host, naming the variable and a good value', () => {
    assert.throws(
      () => loadConfig({ WORKER_HTTP_PORT: '70000', WORKER_HTTP_HOST: 'http://0.0.0.0/' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /WORKER_HTTP_PORT must be a port from 0 to 65535/);
        assert.match(err.message, /WORKER_HTTP_HOST must be a host name or IP address such as 127\.0\.0\.1/);
        return true;
      },
    );
  });
});
