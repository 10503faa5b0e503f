// Checks the Trino coordinator test double (tests/TrinoDouble) with Trino's JavaScript client (trino-client): what the
// module's engine relies on, seen by a client that is not ours.
//
//   node tests/node/trino-check.mjs <url> <user> [--password P] [--ca FILE] [--numbers N]
//
// <url>: http://127.0.0.1:PORT or https://127.0.0.1:PORT (then --ca names the CA that signed the double's certificate).
// --password: HTTP Basic (the double must run with --user/--password, over HTTPS); a wrong one is checked to be 401.
// --numbers N: how many rows the double was started with in numbers (default 10000).
// Prints one JSON object on stdout: {ok, checks: [{name, ok, detail}], ...}. Exit code 0 only when every check
// passed; 1 on a failed check, or when the client could not run at all (then "error" says why).
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { BasicAuth, Trino } from 'trino-client';

const args = process.argv.slice(2);
const [url, user] = args;
if (!url || !user || url.startsWith('--') || user.startsWith('--')) {
  console.error('usage: node trino-check.mjs <url> <user> [--password P] [--ca FILE] [--numbers N]');
  process.exit(2);
}
const option = name => (args.indexOf(name) > 1 ? args[args.indexOf(name) + 1] : undefined);
const password = option('--password');
const caFile = option('--ca');
const numbers = Number(option('--numbers') ?? 10000);
const ca = caFile ? readFileSync(caFile) : undefined;

const checks = [];
const result = { ok: false, url, user, numbers, checks };

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), detail });
}

function describeError(e) {
  return { name: e?.name, message: e?.message, code: e?.code, status: e?.response?.status };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function client(extra = {}) {
  return Trino.create({
    server: url,
    catalog: 'hive',
    schema: 'sales',
    source: 'trino-check',
    session: { query_max_run_time: '10m' },
    // Without a password no Authorization at all (the double, as Trino, refuses a password over plain HTTP).
    auth: password ? new BasicAuth(user, password) : undefined,
    ssl: ca ? { ca } : undefined,
    ...extra,
    extraHeaders: { 'X-Trino-User': user, ...(extra.extraHeaders ?? {}) },
  });
}

// Runs a query to its end as Trino's clients do, retrying 502/503/504 (the protocol's advice) on the POST and on each
// nextUri (the iterator keeps its page when a request fails, so next() asks the same nextUri again).
async function run(trino, query, { retry = false, stopAfter } = {}) {
  const out = { columns: undefined, rows: [], pages: 0, retries: 0, last: undefined, id: undefined };
  let iterator;
  for (;;) {
    try {
      iterator = await trino.query(query);
      break;
    } catch (e) {
      if (retry && [502, 503, 504].includes(e?.response?.status) && out.retries < 5) {
        out.retries++;
        continue;
      }
      throw e;
    }
  }
  for (;;) {
    let step;
    try {
      step = await iterator.next();
    } catch (e) {
      if (retry && [502, 503, 504].includes(e?.response?.status) && out.retries < 5) {
        out.retries++;
        continue;
      }
      e.partial = out;
      throw e;
    }
    const page = step.value;
    out.last = page;
    out.id = page?.id ?? out.id;
    if (page?.error) {
      out.error = page.error;
    }
    if (step.done) {
      break;
    }
    out.pages++;
    out.columns = page.columns ?? out.columns;
    out.rows.push(...(page.data ?? []));
    if (stopAfter && out.rows.length >= stopAfter) {
      break;
    }
  }
  return out;
}

async function stats() {
  const agent = ca ? new Agent({ ca }) : undefined;
  const { default: axios } = await import('axios');
  return (await axios.get(`${url}/v1/doubleStats`, { httpsAgent: agent })).data;
}

const people = [
  [1, 'Ada Lovelace', 'ada@example.test', '98.50', '2024-01-15 09:30:00.000 UTC', 'first programmer'],
  [2, 'Alan Turing', 'alan@example.test', '97.25', '2024-02-01 12:00:00.000 UTC', 'codebreaker'],
  [3, 'Grace Hopper', 'grace@example.test', '99.00', '2024-03-10 08:15:00.000 UTC', null],
  [4, 'Zoë Müller', 'zoe@example.test', '75.10', '2024-04-22 17:45:30.000 UTC', 'unicode name'],
  [5, 'Linus Torvalds', 'linus@example.test', '88.88', '2024-05-05 05:05:05.000 UTC', 'kernel'],
];

const typeColumns = [
  ['c_bigint', 'bigint'], ['c_integer', 'integer'], ['c_smallint', 'smallint'], ['c_tinyint', 'tinyint'],
  ['c_double', 'double'], ['c_double_nan', 'double'], ['c_real', 'real'], ['c_decimal', 'decimal(12,3)'],
  ['c_decimal_wide', 'decimal(38,0)'], ['c_varchar', 'varchar'], ['c_char', 'char(5)'], ['c_boolean', 'boolean'],
  ['c_date', 'date'], ['c_time', 'time(3)'], ['c_timestamp', 'timestamp(6)'],
  ['c_timestamp_tz', 'timestamp(3) with time zone'], ['c_timestamp_offset', 'timestamp(3) with time zone'],
  ['c_interval', 'interval day to second'], ['c_array', 'array(integer)'], ['c_map', 'map(varchar, bigint)'],
  ['c_row', 'row(x bigint, y varchar)'], ['c_nested', 'array(row(a integer, b array(varchar)))'], ['c_json', 'json'],
  ['c_uuid', 'uuid'], ['c_varbinary', 'varbinary'], ['c_ipaddress', 'ipaddress'],
];
const typeValues = [
  1234567890123, -2147483648, 32767, -128, 3.141592653589793, 'NaN', 1.5, '123456789.123',
  '12345678901234567890123456789012345678', 'Zoë Müller ✓ \'quoted\' "dq"', 'ab   ', true, '2024-02-29', '13:45:30.123',
  '2024-01-15 09:30:00.123456', '2024-01-15 09:30:00.000 Europe/Paris', '2024-07-01 12:00:00.000 +05:30',
  '2 03:04:05.678', [1, 2, null], { a: 1, b: null }, [7, 'seven'], [[1, ['x', 'y']]], '{"k":[1,2]}',
  '12151fd2-7586-11e9-8f9e-2a86e4085a59', 'AAEC/v8=', '10.0.0.1',
];

try {
  const trino = client();

  const info = await stats();
  check('doubleStats answers', typeof info.statements === 'number', { statements: info.statements });

  const p = await run(trino, 'SELECT * FROM people');
  check('people: columns', same(p.columns, [
    { name: 'id', type: 'integer' }, { name: 'name', type: 'varchar' }, { name: 'email', type: 'varchar' },
    { name: 'score', type: 'decimal(10,2)' }, { name: 'joined', type: 'timestamp(3) with time zone' },
    { name: 'note', type: 'varchar' },
  ]), p.columns);
  check('people: the 5 rows', same(p.rows, people), p.rows);
  check('people: ends FINISHED without nextUri', p.last?.stats?.state === 'FINISHED' && !p.last?.nextUri, p.last?.stats?.state);

  const headers = (await stats()).lastHeaders;
  check('headers: user, catalog, schema, source, session arrive', headers['X-Trino-User'] === user
    && headers['X-Trino-Catalog'] === 'hive' && headers['X-Trino-Schema'] === 'sales'
    && headers['X-Trino-Source'] === 'trino-check' && headers['X-Trino-Session'] === 'query_max_run_time=10m'
    && (password ? headers.Authorization === 'Basic (redacted)' : headers.Authorization === undefined), headers);

  const n = await run(trino, 'select * from NUMBERS;');
  const ordered = n.rows.every((r, i) => r[0] === i);
  check('numbers: every row, in order, over pages of 1000', n.rows.length === numbers && ordered
    && n.pages === Math.ceil(numbers / 1000) + 1, { rows: n.rows.length, pages: n.pages, ordered });

  const t = await run(trino, 'SELECT * FROM types');
  check('types: columns', same(t.columns?.map(c => [c.name, c.type]), typeColumns), t.columns);
  check('types: values as JSON', same(t.rows[0], typeValues), t.rows[0]);
  check('types: a row of NULLs', t.rows[1]?.length === typeColumns.length && t.rows[1].every(v => v === null), t.rows[1]);

  const e = await run(trino, 'SELECT * FROM empty');
  check('empty: columns, no rows, FINISHED', e.columns?.length === 1 && e.rows.length === 0 && e.last?.stats?.state === 'FINISHED', e.last?.stats);

  const syntax = await run(trino, 'SELEC nonsense');
  check('unknown statement: SYNTAX_ERROR 1 USER_ERROR', syntax.error?.errorName === 'SYNTAX_ERROR'
    && syntax.error?.errorCode === 1 && syntax.error?.errorType === 'USER_ERROR' && syntax.last?.stats?.state === 'FAILED', syntax.error);

  const midway = await run(trino, 'SELECT * FROM fails_midway');
  check('fails_midway: 1000 rows then DIVISION_BY_ZERO 8', midway.rows.length === 1000
    && midway.error?.errorName === 'DIVISION_BY_ZERO' && midway.error?.errorCode === 8, { rows: midway.rows.length, error: midway.error });

  const before = await stats();
  const flaky = await run(trino, 'SELECT * FROM flaky', { retry: true });
  const after = await stats();
  check('flaky: a 503 on the POST and one on a page, then the 5 people', flaky.retries === 2
    && after.retriesServed - before.retriesServed === 2 && same(flaky.rows, people), { retries: flaky.retries, rows: flaky.rows.length });

  const unfinished = await run(trino, 'SELECT * FROM unfinished');
  check('unfinished: the last page has no nextUri but says RUNNING', unfinished.rows.length === 5
    && !unfinished.last?.nextUri && unfinished.last?.stats?.state === 'RUNNING', unfinished.last?.stats?.state);

  for (const [name, status] of [['gone', 410], ['cut', undefined]]) {
    try {
      await run(trino, `SELECT * FROM ${name}`);
      check(`${name}: fails after the first page`, false, 'no error');
    } catch (err) {
      const d = describeError(err);
      check(`${name}: fails after the first page`, err.partial?.rows.length === 1000 && (status ? d.status === status : d.status === undefined), { ...d, rows: err.partial?.rows.length });
    }
  }

  const cancelsBefore = (await stats()).cancels;
  const stopped = await run(trino, 'SELECT * FROM numbers', { stopAfter: 1 });
  await trino.cancel(stopped.id);
  const cancelled = await stats();
  check('cancel: DELETE /v1/query/<id> is recorded', cancelled.cancels === cancelsBefore + 1
    && cancelled.cancelledQueries.includes(stopped.id), { cancels: cancelled.cancels - cancelsBefore, id: stopped.id });

  const insert = await run(trino, 'INSERT INTO sink VALUES (1)');
  check('insert: updateType and updateCount', insert.last?.updateType === 'INSERT' && insert.last?.updateCount === 1, insert.last);

  const statement = 'SELECT * FROM people WHERE name = ? AND id > ?';
  const prepared = await run(client({ extraHeaders: { 'X-Trino-Prepared-Statement': `q1=${encodeURIComponent(statement)}` } }),
    "EXECUTE q1 USING 'it''s', 42");
  check('prepared statement: the header decoded, the literals as sent', same(prepared.rows, [[statement, "'it''s'", '42']]), prepared.rows);

  const { default: axios } = await import('axios');
  const raw = await axios.post(`${url}/v1/statement`, 'SELECT 1', {
    headers: { 'X-Trino-User': user }, auth: password ? { username: user, password } : undefined,
    httpsAgent: ca ? new Agent({ ca }) : undefined,
  });
  check('nextUri: an absolute URL built from the Host header', raw.data.nextUri?.startsWith(`${url}/v1/statement/queued/${raw.data.id}/`), raw.data.nextUri);
  check('info: version 470-double, not starting', await axios.get(`${url}/v1/info`, { httpsAgent: ca ? new Agent({ ca }) : undefined })
    .then(r => r.data.nodeVersion?.version === '470-double' && r.data.starting === false));

  if (password) {
    try {
      await run(Trino.create({ server: url, auth: new BasicAuth(user, password + '-wrong'), ssl: ca ? { ca } : undefined }), 'SELECT 1');
      check('a wrong password is 401', false, 'no error');
    } catch (err) {
      check('a wrong password is 401', describeError(err).status === 401, describeError(err));
    }
  }

  result.ok = checks.every(c => c.ok);
} catch (e) {
  result.error = describeError(e);
  result.ok = false;
}

console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
