// Checks the MongoDB wire-protocol test double (tests/MongoDouble) with the official Node.js driver: what the module's
// engine will rely on, seen by a client that is not ours.
//
//   node tests/node/mongo-check.mjs <uri> [--numbers N]
//
// <uri>: mongodb://user:pass@127.0.0.1:PORT/scdemo?directConnection=true&authSource=admin[&tls=true&tlsCAFile=...]
// --numbers N: how many documents the double was started with in scdemo.numbers (default 100000).
// Prints one JSON object on stdout: {ok, checks: [{name, ok, detail}], ...}. Exit code 0 only when every check
// passed; 1 on a failed check, or when the client could not connect (then "error" says why, with the server's
// code and codeName if it sent one).
import { MongoClient, Decimal128, ObjectId, Long } from 'mongodb';

const args = process.argv.slice(2);
const uri = args[0];
if (!uri || uri.startsWith('--')) {
  console.error('usage: node mongo-check.mjs <uri> [--numbers N]');
  process.exit(2);
}
const numbersAt = args.indexOf('--numbers');
const numbers = numbersAt > 0 ? Number(args[numbersAt + 1]) : 100000;

const checks = [];
const result = { ok: false, uri: uri.replace(/\/\/[^@/]*@/, '//***@'), numbers, checks };

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), detail });
}

function describeError(e) {
  return {
    name: e?.name,
    message: e?.message,
    code: e?.code ?? e?.cause?.code,
    codeName: e?.codeName ?? e?.cause?.codeName,
    cause: e?.cause ? { name: e.cause.name, message: e.cause.message, code: e.cause.code } : undefined,
  };
}

async function expectError(name, action, code, codeName) {
  try {
    await action();
    check(name, false, 'no error');
  } catch (e) {
    const d = describeError(e);
    check(name, d.code === code && d.codeName === codeName, d);
  }
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 5000, appName: 'mongo-check' });
try {
  await client.connect();
  const db = client.db('scdemo');
  const admin = client.db('admin');
  const stats = () => admin.command({ doubleStats: 1 });

  const ping = await admin.command({ ping: 1 });
  check('ping', ping.ok === 1, ping);

  const buildInfo = await admin.command({ buildInfo: 1 });
  result.version = buildInfo.version;
  check('buildInfo', buildInfo.version === '7.0.0-double', buildInfo.version);

  const people = db.collection('people');
  const mathPeople = await people
    .find({ tags: 'math' }, { projection: { _id: 0, name: 1, score: 1, joined: 1 }, sort: { score: -1 } })
    .toArray();
  check('find filter+projection+sort',
    mathPeople.length === 2
      && mathPeople[0].name === 'Ada Lovelace' && mathPeople[1].name === 'Alan Turing'
      && mathPeople[0].score instanceof Decimal128 && mathPeople[0].score.toString() === '98.50'
      && mathPeople[0].joined instanceof Date && mathPeople[0].joined.toISOString() === '2024-01-15T09:30:00.000Z'
      && Object.keys(mathPeople[0]).sort().join(',') === 'joined,name,score',
    mathPeople);

  const zoe = await people.findOne({ name: 'Zoë Müller' });
  check('find unicode equality, nested document, array, ObjectId, null',
    zoe?.email === 'zoe@example.test' && zoe.address?.city === 'Zürich' && Array.isArray(zoe.tags)
      && zoe._id instanceof ObjectId,
    zoe && { email: zoe.email, address: zoe.address, tags: zoe.tags, _id: String(zoe._id) });
  const grace = await people.findOne({ id: 3 });
  check('null field', grace?.note === null, grace?.note);

  const allPeople = await people.find({}, { sort: { id: 1 }, limit: 3 }).toArray();
  check('find limit', allPeople.map(p => p.id).join(',') === '1,2,3', allPeople.map(p => p.id));

  // A cursor that needs many getMore batches.
  const before = await stats();
  let seen = 0;
  let last = -1;
  let ordered = true;
  for await (const doc of db.collection('numbers').find({}, { batchSize: 1000 })) {
    if (doc.n !== last + 1) ordered = false;
    last = doc.n;
    seen++;
  }
  const after = await stats();
  const getMores = (after.commands.getMore ?? 0) - (before.commands.getMore ?? 0);
  check('find numbers through getMore', seen === numbers && ordered && getMores >= Math.ceil(numbers / 1000) - 1,
    { seen, expected: numbers, getMores, ordered });

  // A cursor closed early: the driver sends killCursors and the double records the id.
  const early = db.collection('numbers').find({}, { batchSize: 10 });
  for (let i = 0; i < 15; i++) await early.next();
  const earlyId = early.id;
  await early.close();
  const killed = await stats();
  const killedIds = killed.killedCursorIds.map(id => String(id));
  result.earlyCursor = { id: String(earlyId), killed: killedIds.includes(String(earlyId)) };
  check('cursor closed early is killed', earlyId && !Long.fromValue(earlyId).isZero() && killedIds.includes(String(earlyId))
    && !killed.openCursorIds.map(String).includes(String(earlyId)), { id: String(earlyId), killedIds });
  result.stats = { cursorsOpen: killed.cursorsOpen, killedCursorIds: killedIds, commands: killed.commands };

  const kernel = await people.aggregate([{ $match: { tags: 'kernel' } }, { $limit: 1 }], { batchSize: 1 }).toArray();
  check('aggregate $match $limit', kernel.length === 1 && kernel[0].name === 'Linus Torvalds', kernel.map(p => p.name));
  const fiveNumbers = await db.collection('numbers').aggregate([{ $match: { n: { $gte: 10 } } }, { $limit: 5 }], { batchSize: 2 }).toArray();
  check('aggregate through getMore', fiveNumbers.map(d => d.n).join(',') === '10,11,12,13,14', fiveNumbers.map(d => d.n));

  const highScores = await people.countDocuments({ score: { $gt: 90 } });
  check('countDocuments', highScores === 3, highScores);
  const estimated = await db.collection('numbers').estimatedDocumentCount();
  check('estimatedDocumentCount (count command)', estimated === numbers, estimated);

  const cities = await people.distinct('address.city');
  check('distinct', cities.length === 5 && cities.includes('Zürich'), cities);
  const tags = await people.distinct('tags', { id: { $in: [1, 2] } });
  check('distinct of array elements with a filter', tags.join(',') === 'cryptography,math,poetry', tags);

  const types = await db.collection('types').findOne({});
  const typeNames = types && Object.fromEntries(Object.entries(types).map(([k, v]) => [k, v?._bsontype ?? (v instanceof Date ? 'Date' : Array.isArray(v) ? 'Array' : v instanceof RegExp ? 'RegExp' : v === null ? 'null' : typeof v)]));
  result.types = typeNames;
  check('types document', types
    && typeNames.objectId === 'ObjectId' && typeNames.decimal === 'Decimal128' && types.decimal.toString() === '12345678901234.5678'
    && typeNames.date === 'Date' && types.int32 === -2147483648 && typeNames.int64 === 'Long'
    && String(types.int64) === '-9223372036854775808' && types.double === 1.5 && types.boolTrue === true
    && types.boolFalse === false && types.null === null && types.string.includes('Zoë') && typeNames.binary === 'Binary'
    && typeNames.uuid === 'Binary' && types.uuid.sub_type === 4 && types.document?.b?.c === 'nested'
    && types.array.length === 6 && typeNames.regex === 'RegExp' && types.regex.source === '^a.*z$' && types.regex.flags === 'i' && typeNames.timestamp === 'Timestamp',
    typeNames);

  // The first handshake of a driver is the legacy isMaster in OP_QUERY; with a stable API it is hello in OP_MSG.
  const helloBefore = (await stats()).commands.hello ?? 0;
  const apiClient = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, serverApi: { version: '1' } });
  try {
    const viaHello = await apiClient.db('scdemo').collection('people').findOne({ id: 2 });
    const helloAfter = (await stats()).commands.hello ?? 0;
    check('hello in OP_MSG (stable API client)', viaHello?.name === 'Alan Turing' && helloAfter > helloBefore,
      { name: viaHello?.name, hello: helloAfter - helloBefore });
  } finally {
    await apiClient.close();
  }

  await expectError('error on collection fail', () => db.collection('fail').find({}).toArray(), 2, 'BadValue');
  await expectError('unknown command', () => db.command({ noSuchCommand: 1 }), 59, 'CommandNotFound');

  const status = await admin.command({ serverStatus: 1 });
  result.serverStatus = { security: status.security, transportSecurity: status.transportSecurity };
  const me = await stats();
  result.connection = me.connection;
  const connectionStatus = await admin.command({ connectionStatus: 1 });
  result.authenticatedUsers = connectionStatus.authInfo.authenticatedUsers.map(u => `${u.db}.${u.user}`);
  check('serverStatus', status.ok === 1 && status.version === '7.0.0-double', status.version);

  result.ok = checks.every(c => c.ok);
} catch (e) {
  result.error = describeError(e);
  result.ok = false;
} finally {
  await client.close().catch(() => {});
}

console.log(JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
process.exit(result.ok ? 0 : 1);
