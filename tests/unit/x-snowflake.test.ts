import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xPostCreatedAt } from '../../src/platforms/x/x-snowflake.ts';

describe('X snowflake ids', () => {
  it('reads the creation time out of a real post id', () => {
    // x.com/kleadron/status/1677797246837071872, posted on 2023-07-08 (dimdenGD/OldTwitter#139).
    assert.equal(xPostCreatedAt('1677797246837071872')?.toISOString(), '2023-07-08T21:50:10.268Z');
  });

  it('has no time for ids that are not snowflakes', () => {
    for (const id of ['', 'abc', '12a', '20', '4194303', '12345678901234567890']) {
      assert.equal(xPostCreatedAt(id), null, id);
    }
  });
});
