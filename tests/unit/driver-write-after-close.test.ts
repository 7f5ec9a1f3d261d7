import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDriverWriteAfterClose } from '../../src/entry/run-worker.ts';

function errorWithStack(error: Error, frame: string): Error {
  error.stack = `${error.name}: ${error.message}\n    at ${frame}`;
  return error;
}

describe('isDriverWriteAfterClose', () => {
  it('recognises postgres.js writing to a closed connection, as Node and Deno report it', () => {
    const node = errorWithStack(
      new TypeError("Cannot read properties of null (reading 'write')"),
      'Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)',
    );
    const deno = errorWithStack(
      new Error('This socket has been ended by the other party'),
      'Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)',
    );
    assert.equal(isDriverWriteAfterClose(node), true);
    assert.equal(isDriverWriteAfterClose(deno), true);
  });

  it('does not take other errors for it', () => {
    assert.equal(
      isDriverWriteAfterClose(
        errorWithStack(new TypeError('x is null'), 'run (file:///app/src/worker/post-job.ts:1:1)'),
      ),
      false,
    );
    assert.equal(
      isDriverWriteAfterClose(
        errorWithStack(
          new Error('terminating connection'),
          'ErrorResponse (file:///app/node_modules/postgres/src/connection.js:815:30)',
        ),
      ),
      false,
    );
    assert.equal(isDriverWriteAfterClose('nextWrite postgres/src/connection.js'), false);
  });
});
