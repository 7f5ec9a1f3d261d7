/**
 * Endpoint URLs: what the API stores (checkEndpointUrl, src/net/endpoint-url.ts) and what the
 * database's check constraint (public.is_stored_endpoint_url, migration 20261202010000) accepts must
 * agree, or a URL the API took would fail the INSERT (a 500) — as `HTTPS://…` did. One table of URLs
 * goes through both: every URL the API accepts is stored in a form the database accepts, and every
 * URL the database accepts, the API accepts too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkEndpointUrl, STORED_ENDPOINT_URL } from '../../src/net/endpoint-url.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const DEV = { allowPrivateHosts: true };
const PROD = { allowPrivateHosts: false };

/** Inputs a creator (or a raw SQL writer) might send, the odd ones included. */
const CASES = [
  'https://hooks.example.com/solospark',
  'https://hooks.example.com',
  'HTTPS://Hooks.Example.COM/Path?Q=1#Frag',
  'HtTp://hooks.example.com/x',
  '  https://hooks.example.com/trimmed  ',
  '\thttps://hooks.example.com/tab\n',
  'https://hooks.example.com/a b',
  'https://hooks.example.com/a\tb',
  'https://hooks.example.com/\u00a0',
  'https://hooks.example.com/é',
  'https://bücher.example/',
  'https://hooks.example.com:443/default-port',
  'https://hooks.example.com:8443/port',
  'https://hooks.example.com:99999/',
  'https://hooks.example.com:/empty-port',
  'https://user:pass@hooks.example.com/',
  'https://hooks.example.com/\\back',
  'https://a_b.example.com/',
  'https://a!b.example.com/',
  'https://a..b/',
  'https://1.2.3.4/',
  'https://1.2.3.4.5/',
  'https://0x7f.1/',
  'https://a.123/',
  'https://123/',
  'https://[::1]/',
  'https://[2001:db8::1]:8443/x',
  'https://[::ffff:1.2.3.4]/',
  'https://[1::2::3]/',
  'https:///hooks.example.com',
  'https:hooks.example.com/x',
  'ftp://hooks.example.com/',
  'mailto:a@example.com',
  'javascript:alert(1)',
  'not a url',
  '',
  'https://hooks.example.com/nul\u0000',
  'https://hooks.example.com/half\ud83d',
  `https://hooks.example.com/${'a'.repeat(1970)}`,
  `https://hooks.example.com/${'é'.repeat(400)}`,
  'https://localhost/x',
  'https://127.0.0.1/x',
  'http://127.0.0.1:8080/hook',
] as const;

describe('endpoint URL rules', () => {
  it('stores the normalised form: scheme and host lower-case, whitespace around trimmed', () => {
    const stored = (url: string) => {
      const checked = checkEndpointUrl(url, PROD);
      assert.ok(checked.ok, `${url}: ${checked.ok ? '' : checked.problem}`);
      return checked.url;
    };
    assert.equal(
      stored('HTTPS://Hooks.Example.COM/Path?Q=1#Frag'),
      'https://hooks.example.com/Path?Q=1#Frag',
    );
    assert.equal(stored('  https://hooks.example.com/trimmed \n'), 'https://hooks.example.com/trimmed');
    assert.equal(stored('https://hooks.example.com'), 'https://hooks.example.com/');
    assert.equal(stored('https://hooks.example.com:443/x'), 'https://hooks.example.com/x');
    assert.equal(stored('https://bücher.example/é'), 'https://xn--bcher-kva.example/%C3%A9');
    for (const url of CASES) {
      const checked = checkEndpointUrl(url, DEV);
      if (checked.ok) {
        assert.match(checked.url, STORED_ENDPOINT_URL, url);
        assert.deepEqual(
          checkEndpointUrl(checked.url, DEV),
          checked,
          `normalising ${url} twice changes nothing`,
        );
      }
    }
  });

  it('refuses whitespace or control characters inside, NUL and lone surrogates, naming them', () => {
    const problem = (url: string) => {
      const checked = checkEndpointUrl(url, DEV);
      assert.equal(checked.ok, false, url);
      return checked.ok ? '' : checked.problem;
    };
    assert.match(
      problem('https://hooks.example.com/a b'),
      /whitespace or control characters \(U\+0020 at index 27\)/,
    );
    assert.match(problem('https://hooks.example.com/a\tb'), /U\+0009/);
    assert.match(problem('https://hooks.example.com/x\u0000'), /^url contains a NUL character/);
    assert.match(problem('https://hooks.example.com/\ud83d'), /^url contains a lone UTF-16 surrogate/);
    assert.match(problem(`https://hooks.example.com/${'é'.repeat(400)}`), /once normalised/);
    assert.match(problem('https://a!b.example.com/'), /letters, digits/);
    assert.match(
      problem('FTP://hooks.example.com/'),
      /^url must use https \(or http in development\), got ftp:/,
    );
  });

  it('refuses http and private hosts unless they are allowed, whatever the case of the scheme', () => {
    for (
      const url of [
        'HTTP://hooks.example.com/',
        'https://LOCALHOST./x',
        'https://127.0.0.1/',
        'https://[::1]/',
      ]
    ) {
      assert.equal(checkEndpointUrl(url, PROD).ok, false, url);
    }
    assert.equal(checkEndpointUrl('HTTP://127.0.0.1:8080/', DEV).ok, true);
  });
});

describe('endpoint URLs: the API and the database agree', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let userId: string;
  before(async () => {
    db = await createTestDatabase();
    userId = await createUser(db.sql);
  });
  after(async () => {
    await db?.drop();
  });

  async function dbAccepts(url: string): Promise<boolean> {
    const [row] = await db.sql<{ ok: boolean | null }[]>`select public.is_stored_endpoint_url(${url}) as ok`;
    return row!.ok === true;
  }

  async function insertable(url: string): Promise<boolean> {
    try {
      await db.sql.begin(async (tx) => {
        await tx`
          insert into public.notification_endpoints (user_id, url, secret, events)
          values (${userId}, ${url}, ${generateWebhookSecret()}, '{post.failed}')`;
        throw new Error('rollback');
      });
    } catch (err) {
      if ((err as Error).message === 'rollback') return true;
      if ((err as { code?: string }).code === '23514') return false;
      throw err;
    }
    return true;
  }

  it('stores every URL the API accepts, and the API accepts every URL the database does', async () => {
    const disagreements: string[] = [];
    for (const raw of CASES) {
      if (raw.includes('\u0000') || /[\ud800-\udfff]/.test(raw)) {
        // Postgres cannot receive these at all; the API refuses them (asserted above).
        assert.equal(checkEndpointUrl(raw, DEV).ok, false);
        continue;
      }
      const dev = checkEndpointUrl(raw, DEV);
      const prod = checkEndpointUrl(raw, PROD);
      if (prod.ok && !dev.ok) disagreements.push(`${raw}: production accepts what development refuses`);
      if (dev.ok && !(await dbAccepts(dev.url))) {
        disagreements.push(`${raw}: API stores ${dev.url}, the database refuses it`);
      }
      if (dev.ok && !(await insertable(dev.url))) {
        disagreements.push(`${raw}: the INSERT of ${dev.url} fails`);
      }
      if ((await dbAccepts(raw)) && !dev.ok) {
        disagreements.push(`${raw}: the database accepts it, the API refuses it (${dev.problem})`);
      }
      if ((await dbAccepts(raw)) !== (await insertable(raw))) {
        disagreements.push(`${raw}: the constraint is not the function`);
      }
    }
    assert.deepEqual(disagreements, []);
  });

  it('refuses in the database what the old check let through', async () => {
    for (
      const url of [
        'HTTPS://hooks.example.com/',
        'https://hooks.example.com/ x',
        'https://u:p@hooks.example.com/',
      ]
    ) {
      assert.equal(await insertable(url), false, url);
    }
  });
});
