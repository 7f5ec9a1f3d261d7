import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitSqlStatements } from '../../src/store/sql-statements.ts';

describe('splitSqlStatements', () => {
  it('splits on semicolons outside quotes, dollar quotes and comments', () => {
    const script = `
      -- a comment; with a semicolon
      create table t (a text default 'x;y', "we;ird" int);
      /* block; /* nested; */ still comment; */
      create function f() returns int language sql as $$ select 1; $$;
      create function g() returns int language plpgsql as $body$ begin return 2; end; $body$;
      insert into t values ('it''s; fine');
    `;
    const statements = splitSqlStatements(script);
    assert.equal(statements.length, 4);
    assert.match(statements[0]!, /create table t/);
    assert.match(statements[1]!, /\$\$ select 1; \$\$$/);
    assert.match(statements[2]!, /\$body\$ begin return 2; end; \$body\$$/);
    assert.equal(statements[3], "insert into t values ('it''s; fine')");
  });

  it('drops empty and comment-only pieces', () => {
    assert.deepEqual(splitSqlStatements(';;\n-- only a comment\n'), []);
  });
});
