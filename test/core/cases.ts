// The core test cases, runtime-neutral: vitest runs them one by one (core-cases.test.ts) and the same
// module, bundled, runs under Deno and Bun (runtime-runner.ts, runtimes.test.ts).

import type { RivuletCore } from '../../bindings/core.js';
import { ErrorCode as E } from '../../bindings/errors.js';
import * as layout from '../../bindings/layout.js';
import { Rng, Writer, concat, eq, jsCrc32, jsCrc32c, legacyMessage, ok, throwsCode, utf8 } from './support.js';

export interface CaseEnv {
  /** Mutations for the fuzz case (100k under vitest; fewer under other runtimes if asked). */
  fuzzIterations: number;
}

export interface Case {
  name: string;
  run(core: RivuletCore, env: CaseEnv): void | Promise<void>;
}

export const cases: Case[] = [];
const test = (name: string, run: Case['run']): void => {
  cases.push({ name, run });
};

// ---------------------------------------------------------------- helpers

/** A hand-made records section: each record given as raw body bytes (the length varint is added). */
function recordBytes(body: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  body(w);
  const b = w.bytes();
  return new Writer().varint(b.length).raw(b).bytes();
}

/** A well-formed record body. */
function goodRecord(w: Writer, offsetDelta: number, tsDelta = 0, key: Uint8Array | null = utf8('k'), value: Uint8Array | null = utf8('value')): void {
  w.u8(0).varlong(tsDelta).varint(offsetDelta);
  if (key === null) w.varint(-1);
  else w.varint(key.length).raw(key);
  if (value === null) w.varint(-1);
  else w.varint(value.length).raw(value);
  w.varint(0);
}

/** Wraps a records section into a batch with a correct CRC. */
function rawBatch(core: RivuletCore, records: Uint8Array, count: number, lastOffsetDelta = count - 1, extra: { compression?: number; attributes?: number } = {}): Uint8Array {
  return core.encodeBatchRaw({
    records,
    recordCount: count,
    lastOffsetDelta,
    maxTimestamp: 1000,
    baseTimestamp: 1000,
    compression: extra.compression,
    attributes: extra.attributes,
  });
}

function sampleBatch(core: RivuletCore, n = 3, base = 0n, ts = 1_700_000_000_000n): Uint8Array {
  const records = [];
  for (let i = 0; i < n; i++) records.push({ key: `key-${i}`, value: `value-${i}-${'x'.repeat(i * 7)}`, timestamp: ts + BigInt(i * 10), headers: i % 2 ? { h: `v${i}`, z: null } : undefined });
  return core.encodeBatch({ baseOffset: base, records });
}

const be32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(o);
const setBe32 = (b: Uint8Array, o: number, v: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).setInt32(o, v);
const be64 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigInt64(o);

/** Recomputes the CRC-32C of a (hand-modified) batch in JS. */
function fixCrc(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(17, jsCrc32c(b.subarray(21)));
  return b;
}

// ---------------------------------------------------------------- layout

test('layout constants match the wasm exports', (core) => {
  const x = core.exports as unknown as Record<string, WebAssembly.Global>;
  const g = (n: string) => Number((x[n] as WebAssembly.Global).value);
  eq(g('LAYOUT_VERSION'), layout.LAYOUT_VERSION, 'LAYOUT_VERSION');
  eq(g('BATCH_INFO_SIZE'), layout.BatchInfo.BYTES, 'BATCH_INFO_SIZE');
  eq(g('BI_RECORDS_MAX_TIMESTAMP'), layout.BatchInfo.RECORDS_MAX_TIMESTAMP, 'BI_RECORDS_MAX_TIMESTAMP');
  eq(g('BI_RECORDS_MIN_TIMESTAMP'), layout.BatchInfo.RECORDS_MIN_TIMESTAMP, 'BI_RECORDS_MIN_TIMESTAMP');
  eq(g('AR_MIN_TIMESTAMP'), layout.AppendResult.MIN_TIMESTAMP, 'AR_MIN_TIMESTAMP');
  eq(g('RECORD_CURSOR_SIZE'), layout.RecordCursor.BYTES, 'RECORD_CURSOR_SIZE');
  eq(g('RC_RECORD_SIZE'), layout.RecordCursor.RECORD_SIZE, 'RC_RECORD_SIZE');
  eq(g('APPEND_RESULT_HEADER'), layout.AppendResult.HEADER_BYTES, 'APPEND_RESULT_HEADER');
  eq(g('AR_BATCHES'), layout.AppendResult.BATCHES, 'AR_BATCHES');
  eq(g('AR_TIME_ENTRIES'), layout.AppendResult.TIME_ENTRIES, 'AR_TIME_ENTRIES');
  eq(g('APPEND_BATCH_ENTRY'), layout.AppendBatch.BYTES, 'APPEND_BATCH_ENTRY');
  eq(g('SEGMENT_STATE_SIZE'), layout.SegmentState.BYTES, 'SEGMENT_STATE_SIZE');
  eq(g('RECORD_DESC_SIZE'), layout.RecordDesc.BYTES, 'RECORD_DESC_SIZE');
  eq(g('HEADER_DESC_SIZE'), layout.HEADER_DESC_BYTES, 'HEADER_DESC_SIZE');
  eq(g('BATCH_HEADER_PARAMS_SIZE'), layout.BatchParams.BYTES, 'BATCH_HEADER_PARAMS_SIZE');
  eq(g('BH_RECORD_COUNT'), layout.BatchParams.RECORD_COUNT, 'BH_RECORD_COUNT');
  eq(g('LEGACY_INFO_SIZE'), layout.LegacyInfo.SIZE, 'LEGACY_INFO_SIZE');
  eq(g('LI_SKIPPED'), layout.LegacyInfo.SKIPPED, 'LI_SKIPPED');
  eq(g('LEGACY_CURSOR_SIZE'), layout.LegacyCursor.BYTES, 'LEGACY_CURSOR_SIZE');
  eq(g('LC_MESSAGE_SIZE'), layout.LegacyCursor.MESSAGE_SIZE, 'LC_MESSAGE_SIZE');
  eq(g('OFFSET_INDEX_STATE_SIZE'), layout.OffsetIndexState.BYTES, 'OFFSET_INDEX_STATE_SIZE');
  eq(g('TIME_INDEX_STATE_SIZE'), layout.TimeIndexState.BYTES, 'TIME_INDEX_STATE_SIZE');
  for (const [name, code] of Object.entries(E)) {
    if (name === 'OK') continue;
    eq(g(`E_${name}`), code, `E_${name}`);
  }
});

test('the module has no imports and loads with plain WebAssembly APIs', (core) => {
  ok(core.exports.memory instanceof WebAssembly.Memory, 'exports its memory');
  ok(core.exports.arenaBase() > 0, 'arena after the static data');
});

// ---------------------------------------------------------------- CRC

test('crc32c / crc32 check values', (core) => {
  eq(core.crc32c(utf8('123456789')), 0xe3069283, 'crc32c("123456789")');
  eq(core.crc32(utf8('123456789')), 0xcbf43926, 'crc32("123456789")');
  eq(core.crc32c(new Uint8Array(0)), 0, 'crc32c(empty)');
  eq(core.crc32c(new Uint8Array(32)), 0x8a9136aa, 'crc32c(32 zero bytes)');
  eq(core.crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43, 'crc32c(32 x 0xff)');
});

test('crc32c / crc32 agree with a byte-wise JS reference on random sizes and alignments', (core) => {
  const rng = new Rng(1);
  for (let i = 0; i < 300; i++) {
    const n = i < 100 ? i : rng.int(i < 250 ? 4096 : 70000);
    const buf = rng.bytes(n + 16);
    const off = rng.int(16);
    const b = buf.subarray(off, off + n);
    eq(core.crc32c(b), jsCrc32c(b), `crc32c n=${n} off=${off}`);
    eq(core.crc32(b), jsCrc32(b), `crc32 n=${n} off=${off}`);
  }
});

test('crc continuation equals the CRC of the whole', (core) => {
  const rng = new Rng(2);
  const r = core.alloc(5000);
  const data = rng.bytes(5000);
  r.write(data);
  for (let i = 0; i < 50; i++) {
    const cut = rng.int(5000);
    const a = core.exports.crc32cContinue(0, r.ptr, cut) >>> 0;
    eq(core.exports.crc32cContinue(a, r.ptr + cut, 5000 - cut) >>> 0, jsCrc32c(data), 'crc32c continued');
    const c = core.exports.crc32Continue(0, r.ptr, cut) >>> 0;
    eq(core.exports.crc32Continue(c, r.ptr + cut, 5000 - cut) >>> 0, jsCrc32(data), 'crc32 continued');
  }
});

test('crc on ranges outside linear memory returns 0 without trapping', (core) => {
  const size = core.exports.memoryBytes() >>> 0;
  eq(core.exports.crc32c(size - 4, 8) >>> 0, 0, 'past the end');
  eq(core.exports.crc32c(0x7fffffff, 16) >>> 0, 0, 'huge pointer');
  eq(core.exports.crc32c(16, -1) >>> 0, 0, 'negative length');
  eq(core.crc32c(utf8('123456789')), 0xe3069283, 'still works');
});

// ---------------------------------------------------------------- varints

test('varint / varlong / unsigned varint: known encodings and round trips', (core) => {
  eq(core.writeVarint(0), Uint8Array.of(0), 'varint 0');
  eq(core.writeVarint(-1), Uint8Array.of(1), 'varint -1');
  eq(core.writeVarint(1), Uint8Array.of(2), 'varint 1');
  eq(core.writeVarint(-64), Uint8Array.of(0x7f), 'varint -64');
  eq(core.writeVarint(64), Uint8Array.of(0x80, 0x01), 'varint 64');
  eq(core.writeVarint(300), Uint8Array.of(0xd8, 0x04), 'varint 300');
  eq(core.writeVarint(2147483647), Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0x0f), 'varint max');
  eq(core.writeVarint(-2147483648), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 'varint min');
  eq(core.writeUnsignedVarint(300), Uint8Array.of(0xac, 0x02), 'uvarint 300');
  eq(core.writeVarlong(-9223372036854775808n).length, 10, 'varlong min is 10 bytes');
  const rng = new Rng(3);
  const ints = [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 2147483647, -2147483648];
  for (let i = 0; i < 200; i++) ints.push(rng.u32() | 0, (rng.u32() >> rng.int(32)) | 0);
  for (const v of ints) {
    const b = core.writeVarint(v);
    eq(b, new Writer().varint(v).bytes(), `varint bytes ${v}`);
    const r = core.readVarint(b);
    eq(r.value, v, `varint ${v}`);
    eq(r.next, b.length, `varint length ${v}`);
  }
  const longs = [0n, 1n, -1n, 9223372036854775807n, -9223372036854775808n, 1n << 35n, -(1n << 50n)];
  for (let i = 0; i < 200; i++) longs.push(BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())) >> BigInt(rng.int(64)));
  for (const v of longs) {
    const b = core.writeVarlong(v);
    eq(b, new Writer().varlong(v).bytes(), `varlong bytes ${v}`);
    eq(core.readVarlong(b).value, v, `varlong ${v}`);
  }
  eq(core.readUnsignedVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)).value, 0xffffffff, 'uvarint max');
});

test('varint overflow and truncation are typed errors', (core) => {
  throwsCode(() => core.readVarint(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)), E.VARINT_OVERFLOW, '6-byte varint');
  throwsCode(() => core.readUnsignedVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x00)), E.VARINT_OVERFLOW, '6-byte uvarint');
  eq(core.readVarint(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x00)).next, 5, '5-byte varint is fine');
  throwsCode(() => core.readVarlong(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)), E.VARINT_OVERFLOW, '11-byte varlong');
  eq(core.readVarlong(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).next, 10, '10-byte varlong is fine');
  throwsCode(() => core.readVarint(Uint8Array.of(0x80, 0x80)), E.TRUNCATED, 'truncated varint');
  throwsCode(() => core.readVarlong(new Uint8Array(0)), E.TRUNCATED, 'empty varlong');
});

// ---------------------------------------------------------------- record batches

test('encode → validate → decode round trip, field by field', (core) => {
  const ts = 1_700_000_000_123n;
  const input = {
    baseOffset: 42n,
    partitionLeaderEpoch: 7,
    producerId: 1234567890123n,
    producerEpoch: 3,
    baseSequence: 99,
    transactional: true,
    records: [
      { key: utf8('a'), value: utf8('hello'), timestamp: ts, headers: [{ key: 'h1', value: utf8('v1') }, { key: 'h2', value: null }] },
      { key: null, value: null, timestamp: ts + 5n },
      { key: new Uint8Array(0), value: new Uint8Array(300).fill(7), timestamp: ts - 3n, headers: { 'ключ': 'значение' } },
    ],
  };
  const b = core.encodeBatch(input);
  const info = core.validateBatch(b, { strict: true });
  eq(info.baseOffset, 42n, 'baseOffset');
  eq(info.size, b.length, 'size');
  eq(info.batchLength, b.length - 12, 'batchLength');
  eq(info.partitionLeaderEpoch, 7, 'leader epoch');
  eq(info.magic, 2, 'magic');
  eq(info.isTransactional, true, 'transactional');
  eq(info.isControl, false, 'control');
  eq(info.compression, 0, 'compression');
  eq(info.lastOffsetDelta, 2, 'lastOffsetDelta');
  eq(info.recordCount, 3, 'recordCount');
  eq(info.baseTimestamp, ts, 'baseTimestamp');
  eq(info.maxTimestamp, ts + 5n, 'maxTimestamp');
  eq(info.producerId, 1234567890123n, 'producerId');
  eq(info.producerEpoch, 3, 'producerEpoch');
  eq(info.baseSequence, 99, 'baseSequence');
  eq(info.crc, jsCrc32c(b.subarray(21)), 'crc');
  const [batch] = core.decodeBatches(b);
  ok(batch, 'one batch');
  const rs = batch.records;
  eq(rs.length, 3, 'records');
  eq(rs[0]!.offset, 42n, 'offset 0');
  eq(rs[2]!.offset, 44n, 'offset 2');
  eq(rs[0]!.timestamp, ts, 'ts 0');
  eq(rs[1]!.timestamp, ts + 5n, 'ts 1');
  eq(rs[2]!.timestampDelta, -3n, 'ts delta 2');
  eq(info.recordsMinTimestamp, ts - 3n, 'records min timestamp');
  eq(rs[0]!.key, utf8('a'), 'key 0');
  eq(rs[0]!.value, utf8('hello'), 'value 0');
  eq(rs[1]!.key, null, 'null key');
  eq(rs[1]!.value, null, 'null value');
  eq(rs[2]!.key, new Uint8Array(0), 'empty key');
  eq(rs[2]!.value!.length, 300, 'value 2 length');
  eq(rs[0]!.headers.length, 2, 'headers 0');
  eq(rs[0]!.headers[0]!.key, 'h1', 'header key');
  eq(rs[0]!.headers[0]!.value, utf8('v1'), 'header value');
  eq(rs[0]!.headers[1]!.value, null, 'null header value');
  eq(rs[2]!.headers[0]!.key, 'ключ', 'utf8 header key');
});

test('empty-record batch, control batch and explicit maxTimestamp encode correctly', (core) => {
  const b = core.encodeBatch({ records: [], baseTimestamp: 5, maxTimestamp: 9, lastOffsetDelta: 4 });
  const info = core.validateBatch(b);
  eq(info.recordCount, 0, 'no records');
  eq(info.size, 61, 'header only');
  eq(info.maxTimestamp, 9n, 'max');
  eq(core.checkBatch(b, { strict: true }), E.RECORD_COUNT, 'strict rejects empty batch');
  throwsCode(() => core.encodeBatch({ attributes: 1, records: [{ value: 'x' }] }), E.COMPRESSED, 'compression bits need encodeBatchRaw');
  const c = core.encodeBatch({ control: true, records: [{ key: Uint8Array.of(0, 0, 0, 1), value: Uint8Array.of(0, 0, 0, 0, 0, 0) }], baseTimestamp: 1 });
  eq(core.validateBatch(c).isControl, true, 'control flag');
});

test('malformed batches → specific error codes', (core) => {
  const good = sampleBatch(core, 4);
  const copy = () => good.slice();
  eq(core.checkBatch(good, { strict: true }), 0, 'good batch');
  // truncated anywhere
  for (let cut = 0; cut < good.length; cut += 7) {
    const r = core.checkBatch(good.subarray(0, cut));
    ok(r === E.TRUNCATED, `truncated at ${cut}: got ${r}`);
  }
  // batchLength smaller than a header, negative, larger than the buffer
  let b = copy();
  setBe32(b, 8, 10);
  eq(core.checkBatch(b), E.BAD_LENGTH, 'batchLength too small');
  b = copy();
  setBe32(b, 8, -5);
  eq(core.checkBatch(b), E.BAD_LENGTH, 'negative batchLength');
  b = copy();
  setBe32(b, 8, good.length);
  eq(core.checkBatch(b), E.TRUNCATED, 'batchLength past the buffer');
  // bad CRC: flip one bit in the records / in the header / in the stored CRC
  b = copy();
  b[b.length - 1]! ^= 1;
  eq(core.checkBatch(b), E.BAD_CRC, 'flipped record byte');
  b = copy();
  b[30]! ^= 0x10;
  eq(core.checkBatch(b), E.BAD_CRC, 'flipped header byte');
  b = copy();
  b[18]! ^= 1;
  eq(core.checkBatch(b), E.BAD_CRC, 'flipped crc');
  eq(core.checkBatch(b, { skipCrc: true }), 0, 'skipCrc');
  // magic
  b = copy();
  b[16] = 1;
  eq(core.checkBatch(b), E.BAD_MAGIC, 'magic 1');
  b[16] = 3;
  eq(core.checkBatch(b), E.BAD_MAGIC, 'magic 3');
  // record count vs lastOffsetDelta / records present
  b = copy();
  setBe32(b, 57, 5);
  eq(core.checkBatch(fixCrc(b), { strict: true }), E.RECORD_COUNT, 'count > lastOffsetDelta+1 (strict)');
  eq(core.checkBatch(b), E.RECORD_COUNT, 'count > lastOffsetDelta+1');
  b = copy();
  setBe32(b, 57, 3);
  eq(core.checkBatch(fixCrc(b), { strict: true }), E.RECORD_COUNT, 'count < lastOffsetDelta+1 (strict)');
  eq(core.checkBatch(b), E.RECORD_COUNT, 'fewer records declared than present');
  b = copy();
  setBe32(b, 57, -1);
  eq(core.checkBatch(fixCrc(b)), E.RECORD_COUNT, 'negative count');
  b = copy();
  setBe32(b, 23, 2);
  eq(core.checkBatch(fixCrc(b), { strict: true }), E.RECORD_COUNT, 'lastOffsetDelta too small');
  // compression codec 5..7
  b = copy();
  b[22] = 5;
  eq(core.checkBatch(fixCrc(b)), E.BAD_COMPRESSION, 'codec 5');
});

test('malformed records inside a batch → specific error codes', (core) => {
  const check = (records: Uint8Array, count: number, code: number, what: string, strict = true) => {
    const b = rawBatch(core, records, count);
    eq(core.checkBatch(b, { strict }), code, what);
  };
  const one = recordBytes((w) => goodRecord(w, 0));
  check(one, 1, 0, 'good record');
  check(concat(one, recordBytes((w) => goodRecord(w, 1))), 2, 0, 'two good records');
  // varint overflow in the key length (6 bytes)
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).raw([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).varint(-1).varint(0)), 1, E.VARINT_OVERFLOW, 'key length varint overflow');
  // varlong overflow in the timestamp delta (11 bytes)
  check(recordBytes((w) => w.u8(0).raw([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).varint(0).varint(-1).varint(-1).varint(0)), 1, E.VARINT_OVERFLOW, 'timestamp varlong overflow');
  // varint overflow in the record length itself
  check(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 1, 1, 0), 1, E.VARINT_OVERFLOW, 'record length overflow');
  // negative / too small / too large record length
  check(concat(new Writer().varint(-3).bytes(), new Uint8Array(8)), 1, E.RECORD_LENGTH, 'negative record length');
  check(concat(new Writer().varint(3).bytes(), Uint8Array.of(0, 0, 0)), 1, E.RECORD_LENGTH, 'record length < minimum');
  check(concat(new Writer().varint(200).bytes(), one.subarray(1)), 1, E.RECORD_LENGTH, 'record length past the batch');
  // key / value lengths
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(-2).varint(-1).varint(0)), 1, E.KEY_LENGTH, 'key length -2');
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(50).raw([1, 2, 3]).varint(-1).varint(0)), 1, E.KEY_LENGTH, 'key past the record');
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(-1).varint(-7).varint(0)), 1, E.VALUE_LENGTH, 'value length -7');
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(-1).varint(90).raw([1]).varint(0)), 1, E.VALUE_LENGTH, 'value past the record');
  // headers
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(-1).varint(-1).varint(-1)), 1, E.HEADER, 'negative header count');
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(-1).varint(-1).varint(1).varint(-1).varint(-1)), 1, E.HEADER, 'null header key');
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(-1).varint(-1).varint(1).varint(1).u8(65).varint(-2)), 1, E.HEADER, 'header value length -2');
  check(recordBytes((w) => w.u8(0).varlong(0).varint(0).varint(-1).varint(-1).varint(3).varint(1).u8(65).varint(0)), 1, E.HEADER, 'more headers than bytes');
  // body not consumed exactly
  check(recordBytes((w) => { goodRecord(w, 0); w.u8(9); }), 1, E.RECORD_BODY, 'trailing byte in a record');
  // offsetDelta out of order
  check(recordBytes((w) => goodRecord(w, 1)), 1, E.OFFSET_DELTA, 'offsetDelta != index (strict)');
  check(concat(recordBytes((w) => goodRecord(w, 1)), recordBytes((w) => goodRecord(w, 1))), 2, E.OFFSET_DELTA, 'repeated offsetDelta', false);
  // fewer records than declared / more bytes than records
  check(one, 2, E.RECORD_COUNT, 'count 2 with one record', false);
  const b = rawBatch(core, concat(one, recordBytes((w) => goodRecord(w, 1))), 1, 1);
  eq(core.checkBatch(b), E.RECORD_COUNT, 'extra record after count');
});

test('error positions point at the failing byte', (core) => {
  const one = recordBytes((w) => goodRecord(w, 0));
  const bad = recordBytes((w) => w.u8(0).varlong(0).varint(1).varint(-2).varint(-1).varint(0));
  const b = rawBatch(core, concat(one, bad), 2);
  try {
    core.validateBatch(b);
    ok(false, 'should fail');
  } catch (e) {
    const err = e as { code: number; position: number };
    eq(err.code, E.KEY_LENGTH, 'code');
    eq(err.position, 61 + one.length + 4, 'position of the key length');
  }
});

test('compressed batches: header and CRC validated, records opaque', (core) => {
  const junk = new Rng(9).bytes(200);
  const b = rawBatch(core, junk, 10, 9, { compression: 1 });
  const info = core.validateBatch(b, { strict: true });
  eq(info.compression, 1, 'gzip');
  eq(info.recordCount, 10, 'count');
  const [batch] = core.decodeBatches(b);
  eq(batch!.records.length, 0, 'records not decoded');
  eq(batch!.recordsBytes, junk, 'records bytes exposed');
  b[100]! ^= 0xff;
  eq(core.checkBatch(b), E.BAD_CRC, 'CRC still checked');
});

test('decodeRecords over a bare (e.g. decompressed) records section', (core) => {
  const recs = core.encodeRecords([{ key: 'a', value: 'b', timestamp: 15 }, { key: 'c', value: 'd', timestamp: 12 }], 10);
  const out = core.decodeRecords(recs, 2, { baseOffset: 100n, baseTimestamp: 10n, maxTimestamp: 15n, timestampType: 'CreateTime' });
  eq(out.length, 2, 'two');
  eq(out[1]!.offset, 101n, 'offset');
  eq(out[1]!.timestamp, 12n, 'timestamp');
  eq(out[0]!.value, utf8('b'), 'value');
});

test('setBaseOffset / setLogAppendTime / setMaxTimestamp keep the CRC valid', (core) => {
  const b = sampleBatch(core, 5);
  core.setBaseOffset(b, 123456789012n);
  eq(core.validateBatch(b).baseOffset, 123456789012n, 'base offset, CRC unaffected');
  const before = b.slice();
  core.setLogAppendTime(b, 1_800_000_000_000n);
  const info = core.validateBatch(b);
  eq(info.timestampType, 'LogAppendTime', 'timestamp type');
  eq(info.maxTimestamp, 1_800_000_000_000n, 'maxTimestamp');
  eq(info.crc, jsCrc32c(b.subarray(21)), 'CRC equals a full recomputation');
  eq(b.subarray(61), before.subarray(61), 'records untouched');
  for (const r of core.decodeBatches(b)[0]!.records) eq(r.timestamp, 1_800_000_000_000n, 'record timestamp = log append time');
  core.setMaxTimestamp(b, -1n);
  eq(core.validateBatch(b).maxTimestamp, -1n, 'set max');
  // many random patches
  const rng = new Rng(4);
  for (let i = 0; i < 200; i++) {
    const t = BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
    const x = sampleBatch(core, 1 + rng.int(20));
    core.setLogAppendTime(x, t);
    eq(be32(x, 17) >>> 0, jsCrc32c(x.subarray(21)), `patched CRC #${i}`);
  }
});

// ---------------------------------------------------------------- broker append

test('append: offsets assigned across batches, summary and per-batch entries', (core) => {
  const a = sampleBatch(core, 3, 0n, 1000n);
  const b = sampleBatch(core, 5, 0n, 5000n);
  const c = sampleBatch(core, 1, 0n, 2000n);
  const region = concat(a, b, c);
  const s = core.append(region, { nextOffset: 100n });
  eq(s.error, 0, 'ok');
  eq(s.batchCount, 3, 'batches');
  eq(s.recordCount, 9, 'records');
  eq(s.firstOffset, 100n, 'first');
  eq(s.lastOffset, 108n, 'last');
  eq(s.nextOffset, 109n, 'next');
  eq(s.maxTimestamp, 5040n, 'max timestamp');
  eq(s.minTimestamp, 1000n, 'min timestamp');
  eq(s.offsetOfMaxTimestamp, 107n, 'offset of max timestamp');
  eq(s.bytes, region.length, 'bytes');
  eq(s.codecs, 1, 'codecs: none');
  eq(s.batches[1]!.position, a.length, 'position of batch 1');
  eq(s.batches[1]!.size, b.length, 'size of batch 1');
  eq(s.batches[1]!.baseOffset, 103n, 'base offset of batch 1');
  eq(s.batches[2]!.baseOffset, 108n, 'base offset of batch 2');
  const decoded = core.decodeBatches(region);
  eq(decoded.map((d) => d.baseOffset).join(','), '100,103,108', 'offsets written in place');
  eq(decoded[1]!.records[4]!.offset, 107n, 'record offset');
});

test('append: LogAppendTime, leader epoch and maxTimestamp correction', (core) => {
  const region = concat(sampleBatch(core, 2), sampleBatch(core, 2));
  const s = core.append(region, { nextOffset: 0n, logAppendTime: 999n, leaderEpoch: 12 });
  eq(s.error, 0, 'ok');
  eq(s.maxTimestamp, 999n, 'max = log append time');
  eq(s.offsetOfMaxTimestamp, 0n, 'first offset');
  for (const d of core.decodeBatches(region)) {
    eq(d.timestampType, 'LogAppendTime', 'type');
    eq(d.maxTimestamp, 999n, 'max');
    eq(d.partitionLeaderEpoch, 12, 'epoch');
  }
  // A producer that sent a wrong maxTimestamp: corrected (CreateTime), CRC fixed.
  const w = core.encodeBatch({ baseTimestamp: 100, maxTimestamp: 5, records: [{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 130 }] });
  eq(core.validateBatch(w).maxTimestamp, 5n, 'wrong max sent');
  const s2 = core.append(w, { nextOffset: 7n });
  eq(s2.error, 0, 'ok');
  eq(core.validateBatch(w).maxTimestamp, 130n, 'corrected');
  eq(s2.offsetOfMaxTimestamp, 8n, 'offset of the max record');
});

test('append: a bad batch rejects the whole region and modifies nothing', (core) => {
  const a = sampleBatch(core, 3);
  const b = sampleBatch(core, 3);
  b[b.length - 2]! ^= 0x40;
  const region = concat(a, b, sampleBatch(core, 1));
  const before = region.slice();
  const s = core.append(region, { nextOffset: 50n, logAppendTime: 1n });
  eq(s.error, E.BAD_CRC, 'crc error');
  eq(s.errorBatch, 1, 'second batch');
  eq(s.errorPosition, a.length + 17, 'position of the CRC field');
  eq(region, before, 'unchanged');
  // trailing partial batch
  const t = concat(a, sampleBatch(core, 2).subarray(0, 40));
  eq(core.append(t, { nextOffset: 0n }).error, E.TRUNCATED, 'partial trailing batch');
  eq(core.append(new Uint8Array(0), { nextOffset: 0n }).error, E.EMPTY, 'empty');
  // control batches from clients
  const ctl = core.encodeBatch({ control: true, records: [{ key: Uint8Array.of(0, 0, 0, 0), value: Uint8Array.of(0, 0, 0, 0, 0, 0) }] });
  eq(core.append(ctl.slice(), { nextOffset: 0n }).error, E.CONTROL_BATCH, 'control rejected');
  eq(core.append(ctl.slice(), { nextOffset: 0n, rejectControl: false }).error, 0, 'control allowed');
  // too many batches for the result area
  eq(core.append(concat(a, a, a), { nextOffset: 0n, maxBatches: 2 }).error, E.TOO_MANY_BATCHES, 'result capacity');
  // strict producer rules vs relaxed
  const gap = rawBatch(core, concat(recordBytes((w) => goodRecord(w, 0)), recordBytes((w) => goodRecord(w, 2))), 2, 2);
  eq(core.append(gap.slice(), { nextOffset: 0n }).error, E.RECORD_COUNT, 'count != lastOffsetDelta+1');
  const rs = core.append(gap.slice(), { nextOffset: 10n, relaxed: true });
  eq(rs.error, 0, 'relaxed accepts compacted-style gaps');
  eq(rs.lastOffset, 12n, 'last offset = base + lastOffsetDelta');
});

test('append: compressed batches pass with header validation; codecs reported', (core) => {
  const z = rawBatch(core, new Rng(5).bytes(100), 4, 3, { compression: 4 });
  const s = core.append(concat(sampleBatch(core, 1), z), { nextOffset: 0n });
  eq(s.error, 0, 'ok');
  eq(s.codecs, 1 | (1 << 4), 'none + zstd');
  eq(s.lastOffset, 4n, 'offsets through the compressed batch');
});

test('append with a segment: sparse offset/time index entries as Kafka writes them', (core) => {
  const oi = core.offsetIndex(1000n, 8 * 64);
  const ti = core.timeIndex(1000n, 12 * 64);
  const seg = core.segmentIndexer(oi, ti, { indexIntervalBytes: 150 });
  // JS model of Kafka's LogSegment.append (per batch).
  let pos = 0;
  let since = 0;
  let maxTs = -1n;
  let offMax = -1n;
  const expectOffset: [bigint, number][] = [];
  const expectTime: [bigint, bigint][] = [];
  let next = 1000n;
  const rng = new Rng(6);
  const written: Uint8Array[] = [];
  for (let round = 0; round < 20; round++) {
    const batches = [];
    for (let k = 0; k < 1 + rng.int(3); k++) batches.push(sampleBatch(core, 1 + rng.int(4), 0n, BigInt(1000 + rng.int(100000))));
    const region = concat(...batches);
    const s = core.append(region, { nextOffset: next, segment: seg });
    eq(s.error, 0, `round ${round}`);
    written.push(region);
    for (const d of core.decodeBatches(region)) {
      const last = d.baseOffset + BigInt(d.lastOffsetDelta);
      if (d.maxTimestamp > maxTs) {
        maxTs = d.maxTimestamp;
        offMax = last;
      }
      if (since > 150) {
        expectOffset.push([last, pos]);
        if (expectTime.length === 0 || maxTs > expectTime[expectTime.length - 1]![0]) expectTime.push([maxTs, offMax]);
        since = 0;
      }
      pos += d.size;
      since += d.size;
    }
    next = s.nextOffset;
  }
  eq(seg.position, pos, 'segment position');
  eq(oi.entries, expectOffset.length, 'offset index entries');
  eq(ti.entries, expectTime.length, 'time index entries');
  ok(oi.entries > 5, 'several entries');
  const ob = oi.bytes();
  expectOffset.forEach(([o, p], i) => {
    eq(be32(ob, i * 8), Number(o - 1000n), `relative offset ${i}`);
    eq(be32(ob, i * 8 + 4), p, `position ${i}`);
  });
  const tb = ti.bytes();
  expectTime.forEach(([t, o], i) => {
    eq(be64(tb, i * 12), t, `timestamp ${i}`);
    eq(be32(tb, i * 12 + 8), Number(o - 1000n), `time relative offset ${i}`);
  });
  // The same bytes indexed again by the recovery path give the same indexes.
  const oi2 = core.offsetIndex(1000n, 8 * 64);
  const ti2 = core.timeIndex(1000n, 12 * 64);
  const seg2 = core.segmentIndexer(oi2, ti2, { indexIntervalBytes: 150 });
  seg2.indexExisting(concat(...written));
  eq(oi2.bytes(), oi.bytes(), 'recovered offset index');
  eq(ti2.bytes(), ti.bytes(), 'recovered time index');
  eq(seg2.position, pos, 'recovered position');
});

test('append with a segment: full index or 32-bit relative offset overflow is refused up front', (core) => {
  const oi = core.offsetIndex(0n, 8);
  const ti = core.timeIndex(0n, 12 * 4);
  const seg = core.segmentIndexer(oi, ti, { indexIntervalBytes: 0 });
  eq(core.append(sampleBatch(core, 1), { nextOffset: 0n, segment: seg }).error, 0, 'first');
  eq(core.append(sampleBatch(core, 1), { nextOffset: 1n, segment: seg }).error, 0, 'second fills the index');
  const region = sampleBatch(core, 1);
  const before = region.slice();
  eq(core.append(region, { nextOffset: 2n, segment: seg }).error, E.INDEX_FULL, 'full');
  eq(region, before, 'unchanged');
  const oj = core.offsetIndex(0n, 800);
  const tj = core.timeIndex(0n, 1200);
  const seg2 = core.segmentIndexer(oj, tj);
  eq(core.append(sampleBatch(core, 1), { nextOffset: 2n ** 31n, segment: seg2 }).error, E.OFFSET_OVERFLOW, 'relative offset overflow');
});

// ---------------------------------------------------------------- indexes

test('offset index: Kafka byte layout and lookups incl. edge cases', (core) => {
  const idx = core.offsetIndex(500n, 8 * 10);
  eq(idx.lookup(600n).slot, -1, 'empty: none');
  eq(idx.lookup(600n).offset, 500n, 'empty: base offset');
  eq(idx.lookup(600n).position, 0, 'empty: position 0');
  idx.append(510n, 0);
  idx.append(520n, 4096);
  idx.append(0x01020304n + 500n, 0x0a0b0c0d);
  eq(idx.bytes(), Uint8Array.of(0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0x10, 0, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d), 'bytes');
  eq(idx.lookup(509n).slot, -1, 'below first');
  eq(idx.lookup(509n).offset, 500n, 'below first → base');
  eq(idx.lookup(510n).position, 0, 'exact first');
  eq(idx.lookup(519n).offset, 510n, 'between');
  eq(idx.lookup(520n).position, 4096, 'exact second');
  eq(idx.lookup(10n ** 12n).slot, 2, 'far above last');
  eq(idx.lookup(-5n).slot, -1, 'negative target');
  throwsCode(() => idx.append(520n, 5000), E.INDEX_ORDER, 'not increasing');
  throwsCode(() => idx.append(505n, 5000), E.INDEX_ORDER, 'below last');
  throwsCode(() => idx.append(499n, 5000), E.OFFSET_OVERFLOW, 'below the base offset');
  throwsCode(() => idx.append(500n + 2n ** 31n, 1), E.OFFSET_OVERFLOW, 'relative overflow');
  for (let i = 0; i < 7; i++) idx.append(0x01020304n + 501n + BigInt(i), 100 + i);
  ok(idx.isFull, 'full');
  throwsCode(() => idx.append(10n ** 9n, 1), E.INDEX_FULL, 'full');
  // reload from the persisted bytes
  const saved = idx.bytes().slice();
  const re = core.offsetIndex(500n, 8 * 20, saved);
  eq(re.entries, 10, 'reloaded entries');
  for (const t of [499n, 510n, 515n, 520n, 0x01020304n + 503n, 10n ** 10n]) {
    const x = idx.lookup(t);
    const y = re.lookup(t);
    eq(y.slot, x.slot, `same slot for ${t}`);
    eq(y.position, x.position, `same position for ${t}`);
  }
  eq(re.truncateTo(520n), 1, 'truncate keeps entries below 520');
  eq(re.lookup(10n ** 10n).offset, 510n, 'after truncate');
  re.append(530n, 9000);
  eq(re.lookup(531n).position, 9000, 'append after truncate');
  throwsCode(() => core.offsetIndex(0n, 64, Uint8Array.of(0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1)), E.INDEX_CORRUPT, 'not increasing on load');
  throwsCode(() => core.offsetIndex(0n, 64, new Uint8Array(12)), E.INDEX_CORRUPT, 'partial entry on load');
});

test('offset index: binary search agrees with a linear scan', (core) => {
  const rng = new Rng(7);
  const idx = core.offsetIndex(1n << 40n, 8 * 3000);
  const model: [bigint, number][] = [];
  let o = (1n << 40n) + 3n;
  for (let i = 0; i < 2500; i++) {
    o += BigInt(1 + rng.int(50));
    idx.append(o, i * 100);
    model.push([o, i * 100]);
  }
  for (let i = 0; i < 2000; i++) {
    const t = (1n << 40n) + BigInt(rng.int(2500 * 52));
    let want = -1;
    for (let k = 0; k < model.length && model[k]![0] <= t; k++) want = k;
    const got = idx.lookup(t);
    eq(got.slot, want, `slot for ${t}`);
    if (want >= 0) eq(got.offset, model[want]![0], 'offset');
  }
});

test('time index: Kafka byte layout, maybeAppend rules and lookups', (core) => {
  const idx = core.timeIndex(100n, 12 * 8);
  const none = idx.lookup(5n);
  eq(none.slot, -1, 'empty');
  eq(none.timestamp, -1n, 'empty → -1');
  eq(none.offset, 100n, 'empty → base offset');
  eq(idx.maybeAppend(1000n, 105n), true, 'first');
  eq(idx.maybeAppend(1000n, 106n), false, 'same timestamp skipped');
  eq(idx.maybeAppend(999n, 107n), false, 'older timestamp skipped');
  eq(idx.maybeAppend(0x0102030405060708n, 0x01020304n + 100n), true, 'second');
  eq(idx.bytes(), Uint8Array.of(0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4), 'bytes');
  throwsCode(() => idx.maybeAppend(0x0102030405060709n, 50n + 100n), E.INDEX_ORDER, 'offset going back');
  eq(idx.lookup(999n).slot, -1, 'before first');
  eq(idx.lookup(1000n).offset, 105n, 'exact');
  eq(idx.lookup(5000n).timestamp, 1000n, 'between');
  eq(idx.lookup(0x7fffffffffffffffn).slot, 1, 'max');
  const re = core.timeIndex(100n, 12 * 8, idx.bytes().slice());
  eq(re.entries, 2, 'reloaded');
  eq(re.lastTimestamp, 0x0102030405060708n, 'last timestamp restored');
  eq(re.maybeAppend(1001n, 0x01020304n + 200n), false, 'reloaded state keeps the rule');
  eq(re.truncateTo(106n), 1, 'truncate');
  eq(re.maybeAppend(2000n, 110n), true, 'after truncate');
  throwsCode(() => core.timeIndex(0n, 48, new Uint8Array(13)), E.INDEX_CORRUPT, 'partial entry on load');
});

test('segment scans: batch holding an offset, first batch reaching a timestamp', (core) => {
  const a = core.encodeBatch({ baseOffset: 100n, records: [{ value: 'a', timestamp: 10 }, { value: 'b', timestamp: 20 }] });
  const b = core.encodeBatch({ baseOffset: 102n, records: [{ value: 'c', timestamp: 50 }] });
  const c = core.encodeBatch({ baseOffset: 103n, records: [{ value: 'd', timestamp: 40 }, { value: 'e', timestamp: 45 }, { value: 'f', timestamp: 70 }] });
  const seg = concat(a, b, c);
  eq(core.scanForOffset(seg, 0n), 0, 'before everything');
  eq(core.scanForOffset(seg, 101n), 0, 'inside the first batch');
  eq(core.scanForOffset(seg, 102n), a.length, 'second batch');
  eq(core.scanForOffset(seg, 104n), a.length + b.length, 'inside the third batch');
  eq(core.scanForOffset(seg, 106n), seg.length, 'past the end');
  eq(core.scanForOffset(seg.subarray(0, seg.length - 3), 104n), a.length + b.length, 'partial last batch judged by its header');
  eq(core.scanForTimestamp(seg, 15n), 0, 'ts in the first');
  eq(core.scanForTimestamp(seg, 21n), a.length, 'ts → second');
  eq(core.scanForTimestamp(seg, 60n), a.length + b.length, 'ts → third');
  eq(core.scanForTimestamp(seg, 71n), seg.length, 'ts past the end');
  const bad = seg.slice();
  setBe32(bad, a.length + 8, 3);
  throwsCode(() => core.scanForOffset(bad, 105n), E.BAD_LENGTH, 'bad length');
});

// ---------------------------------------------------------------- legacy message sets

test('legacy message sets: validate and iterate magic 0 and 1', (core) => {
  const set = concat(
    legacyMessage({ offset: 0, magic: 0, key: utf8('k0'), value: utf8('v0') }),
    legacyMessage({ offset: 1, magic: 1, timestamp: 1234, key: null, value: utf8('v1') }),
    legacyMessage({ offset: 2, magic: 1, timestamp: 1200, key: new Uint8Array(0), value: null, attributes: 8 }),
  );
  const info = core.validateLegacy(set);
  eq(info.count, 3, 'count');
  eq(info.magic, -1, 'mixed magic');
  eq(info.maxTimestamp, 1234n, 'max ts');
  eq(info.lastOffset, 2n, 'last offset');
  const ms = core.legacyMessages(set);
  eq(ms[0]!.magic, 0, 'magic 0');
  eq(ms[0]!.timestamp, -1n, 'no timestamp in magic 0');
  eq(ms[0]!.key, utf8('k0'), 'key');
  eq(ms[1]!.key, null, 'null key');
  eq(ms[1]!.timestamp, 1234n, 'timestamp');
  eq(ms[2]!.value, null, 'null value');
  eq(ms[2]!.timestampType, 'LogAppendTime', 'attribute bit 3');
});

test('legacy message sets: malformed → typed errors', (core) => {
  const m = legacyMessage({ magic: 1, timestamp: 1, key: utf8('a'), value: utf8('b') });
  throwsCode(() => core.validateLegacy(legacyMessage({ magic: 1, timestamp: 1, key: null, value: utf8('x') }, true)), E.BAD_CRC, 'bad crc');
  throwsCode(() => core.validateLegacy(m.subarray(0, m.length - 1)), E.TRUNCATED, 'truncated');
  eq(core.validateLegacy(concat(m, m.subarray(0, 10)), { allowPartial: true }).count, 1, 'partial tail allowed');
  const badMagic = m.slice();
  badMagic[16] = 2;
  throwsCode(() => core.validateLegacy(badMagic), E.BAD_MAGIC, 'magic 2');
  const badSize = m.slice();
  setBe32(badSize, 8, 3);
  throwsCode(() => core.validateLegacy(badSize), E.BAD_LENGTH, 'size too small');
  const w = new Writer().u8(0).u8(0).i32(100).raw([1, 2]).i32(-1).bytes();
  const crafted = new Writer().i64(0).i32(w.length + 4).i32(jsCrc32(w)).raw(w).bytes();
  throwsCode(() => core.validateLegacy(crafted), E.KEY_LENGTH, 'key past the message');
});

test('legacy → v2: uncompressed sets convert; compressed wrappers are reported', (core) => {
  const set = concat(
    legacyMessage({ offset: 0, magic: 1, timestamp: 5000, key: utf8('a'), value: utf8('first') }),
    legacyMessage({ offset: 1, magic: 1, timestamp: 4990, key: null, value: utf8('second') }),
    legacyMessage({ offset: 2, magic: 1, timestamp: 5020, key: utf8('c'), value: null }),
  );
  const v2 = core.legacyToV2(set);
  const info = core.validateBatch(v2, { strict: true });
  eq(info.recordCount, 3, 'count');
  eq(info.baseTimestamp, 5000n, 'base ts');
  eq(info.maxTimestamp, 5020n, 'max ts');
  eq(info.producerId, -1n, 'no producer');
  const rs = core.decodeBatches(v2)[0]!.records;
  eq(rs[1]!.timestamp, 4990n, 'ts');
  eq(rs[1]!.key, null, 'null key');
  eq(rs[2]!.value, null, 'null value');
  eq(rs[0]!.value, utf8('first'), 'value');
  const m0 = core.legacyToV2(legacyMessage({ magic: 0, key: null, value: utf8('x') }));
  eq(core.validateBatch(m0).maxTimestamp, -1n, 'magic 0 → no timestamp');
  const wrapper = legacyMessage({ magic: 1, timestamp: 1, attributes: 2, key: null, value: utf8('snappy-bytes') });
  eq(core.validateLegacy(wrapper).codec, 2, 'codec reported');
  throwsCode(() => core.legacyToV2(wrapper), E.LEGACY_COMPRESSED, 'wrapper');
  // large set: output grows as needed
  const big: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) big.push(legacyMessage({ offset: i, magic: 0, key: null, value: new Uint8Array(i) }));
  eq(core.validateBatch(core.legacyToV2(concat(...big))).recordCount, 300, 'large set');
});

test('v2 → legacy for Fetch v0–3: offsets, timestamps, control batches dropped', (core) => {
  const a = core.encodeBatch({ baseOffset: 10n, records: [{ key: 'k', value: 'v', timestamp: 100, headers: { dropped: 'yes' } }, { value: 'w', timestamp: 140 }] });
  const ctl = core.encodeBatch({ baseOffset: 12n, control: true, records: [{ key: Uint8Array.of(0, 0, 0, 1), value: Uint8Array.of(0, 0, 0, 0, 0, 0) }], baseTimestamp: 1 });
  const l = core.encodeBatch({ baseOffset: 13n, timestampType: 'LogAppendTime', maxTimestamp: 777, records: [{ value: 'x', timestamp: 1 }] });
  const v2 = concat(a, ctl, l);
  const m1 = core.v2ToLegacy(v2, 1);
  const info = core.validateLegacy(m1);
  eq(info.count, 3, 'three messages (control dropped)');
  eq(info.magic, 1, 'magic');
  const ms = core.legacyMessages(m1);
  eq(ms.map((m) => m.offset).join(','), '10,11,13', 'absolute offsets');
  eq(ms[1]!.timestamp, 140n, 'CreateTime');
  eq(ms[2]!.timestamp, 777n, 'LogAppendTime = batch max');
  eq(ms[2]!.timestampType, 'LogAppendTime', 'attribute bit');
  eq(ms[0]!.key, utf8('k'), 'key');
  eq(ms[1]!.key, null, 'null key');
  const m0 = core.v2ToLegacy(v2, 0);
  const ms0 = core.legacyMessages(m0);
  eq(ms0.length, 3, 'magic 0 count');
  eq(ms0[0]!.magic, 0, 'magic 0');
  eq(ms0[2]!.timestamp, -1n, 'no timestamps');
  // round trip legacy → v2 → legacy keeps keys/values
  const back = core.legacyMessages(core.v2ToLegacy(core.legacyToV2(m1), 1));
  eq(back.map((m) => new TextDecoder().decode(m.value!)).join(','), 'v,w,x', 'round trip values');
  const z = rawBatch(core, new Uint8Array(20), 1, 0, { compression: 1 });
  throwsCode(() => core.v2ToLegacy(z, 1), E.COMPRESSED, 'compressed v2');
});

// ---------------------------------------------------------------- robustness

test('entry points refuse pointers outside memory or into the private area, and keep working', (core) => {
  const x = core.exports;
  const top = x.memoryBytes() >>> 0;
  eq(x.batchValidate(top - 10, 100, 0, 0), E.OUT_OF_BOUNDS, 'input past the end');
  eq(x.batchValidate(0, 100, 0, 16), E.OUT_OF_BOUNDS, 'info in the private area');
  eq(x.recordNext(top), E.OUT_OF_BOUNDS, 'cursor past the end');
  const cur = core.alloc(64);
  core.dv.setInt32(cur.ptr, top - 4, true);
  core.dv.setInt32(cur.ptr + 4, top + 100, true);
  core.dv.setInt32(cur.ptr + 12, 5, true);
  eq(x.recordNext(cur.ptr), E.OUT_OF_BOUNDS, 'cursor range past the end');
  eq(x.batchSetBaseOffset(8, 100, 1n), E.OUT_OF_BOUNDS, 'write into the private area');
  eq(x.encodeBatch(cur.ptr, 0, -1, cur.ptr, 0), E.INVALID_ARGUMENT, 'negative record count');
  eq(x.encodeBatch(cur.ptr, 0, 0, 8, 100), E.OUT_OF_BOUNDS, 'output in the private area');
  eq(x.offsetIndexInit(top - 8, top - 100, 50, 0n, 0), E.OUT_OF_BOUNDS, 'index state past the end');
  eq(x.appendRecords(top - 8, 64, 0n, -1n, -1, 0, cur.ptr, 0), E.OUT_OF_BOUNDS, 'append result area too small / input past the end');
  eq(x.legacyToV2(top - 4, 100, 0, 0, cur.ptr), E.OUT_OF_BOUNDS, 'legacy past the end');
  eq(x.arenaAlloc(-1, 8), 0, 'negative alloc');
  const sb = sampleBatch(core, 2);
  const sr = core.alloc(sb.length);
  sr.write(sb);
  core.dv.setInt32(cur.ptr + 256 + 56, 4, true);
  eq(x.appendRecords(sr.ptr, sb.length, 0n, -1n, -1, 0, cur.ptr + 256, top + 64), E.OUT_OF_BOUNDS, 'segment state past the end');
  eq(x.appendRecords(sr.ptr, sb.length, 0n, -1n, -1, 0, cur.ptr + 256, 8), E.OUT_OF_BOUNDS, 'segment state in the private area');
  core.dv.setInt32(cur.ptr + 256 + 56, 0x08000000, true);
  eq(x.appendRecords(cur.ptr, 0, 0n, -1n, -1, 0, cur.ptr + 256, 0), E.OUT_OF_BOUNDS, 'result capacity overflowing 32 bits');
  eq(core.crc32c(utf8('123456789')), 0xe3069283, 'still works');
});

test('encoder refuses bad descriptors without trapping', (core) => {
  const x = core.exports;
  const params = core.alloc(64);
  const descs = core.alloc(40 * 2);
  const out = core.alloc(1024);
  const dv = core.dv;
  dv.setInt32(descs.ptr + 20, -2, true); // key length -2
  eq(x.encodeBatch(params.ptr, descs.ptr, 1, out.ptr, 1024), E.KEY_LENGTH, 'key length -2');
  dv.setInt32(descs.ptr + 20, 10, true);
  dv.setUint32(descs.ptr + 16, (x.memoryBytes() >>> 0) - 4, true);
  eq(x.encodeBatch(params.ptr, descs.ptr, 1, out.ptr, 1024), E.KEY_LENGTH, 'key outside memory');
  dv.setInt32(descs.ptr + 20, -1, true);
  dv.setInt32(descs.ptr + 28, -1, true);
  dv.setInt32(descs.ptr + 36, -4, true);
  eq(x.encodeBatch(params.ptr, descs.ptr, 1, out.ptr, 1024), E.HEADER, 'negative header count');
  dv.setInt32(descs.ptr + 36, 0, true);
  eq(x.encodeBatch(params.ptr, descs.ptr, 1, out.ptr, 10), E.OUTPUT_TOO_SMALL, 'output too small');
  ok(x.encodeBatch(params.ptr, descs.ptr, 1, out.ptr, 1024) > 61, 'valid now');
});

/** i64 parameters of the exports, by position (the rest are i32). */
const I64_PARAMS: Record<string, number[]> = {
  varlongEncode: [1], batchSetBaseOffset: [2], batchSetLogAppendTime: [2], batchSetMaxTimestamp: [2], appendRecords: [2, 3],
  offsetIndexInit: [3], offsetIndexAppend: [1], offsetIndexLookup: [1], offsetIndexTruncateTo: [1], timeIndexInit: [3],
  timeIndexMaybeAppend: [1, 2], timeIndexLookup: [1], timeIndexTruncateTo: [1], scanForOffset: [2], scanForTimestamp: [2],
  offsetMapPut: [3],
};

test('every export called with random arguments never traps', (core, env) => {
  const x = core.exports as unknown as Record<string, unknown>;
  const rng = new Rng(21);
  const base = core.exports.arenaBase();
  const scratch = core.alloc(1 << 16);
  core.u8.set(rng.bytes(1 << 16), scratch.ptr);
  const top = () => core.exports.memoryBytes() >>> 0;
  const arg = (): number => {
    switch (rng.int(8)) {
      case 0: return 0;
      case 1: return rng.int(64) - 8;
      case 2: return base + rng.int(256);
      case 3: return scratch.ptr + rng.int(1 << 16);
      case 4: return top() - rng.int(128);
      case 5: return rng.u32() | 0;
      case 6: return rng.int(70000);
      default: return -rng.int(100);
    }
  };
  const names = Object.keys(x).filter((n) => typeof x[n] === 'function' && !n.startsWith('arena'));
  ok(names.length > 40, 'exports found');
  const n = Math.max(2000, env.fuzzIterations / 2);
  for (let i = 0; i < n; i++) {
    const name = names[rng.int(names.length)]!;
    const f = x[name] as (...a: unknown[]) => unknown;
    const wide = I64_PARAMS[name] ?? [];
    const args: unknown[] = [];
    for (let k = 0; k < f.length; k++) args.push(wide.includes(k) ? BigInt(rng.u32() | 0) * BigInt(rng.int(3) ? 1 : 0x7fffffff) : arg());
    try {
      f(...args);
    } catch (e) {
      throw new Error(`${name}(${args.join(', ')}) threw ${String(e)}`);
    }
  }
  eq(core.exports.crc32c(scratch.ptr, 0) >>> 0, 0, 'still callable');
  const fresh = core.alloc(16);
  core.u8.set(utf8('123456789'), fresh.ptr);
  eq(core.exports.crc32c(fresh.ptr, 9) >>> 0, 0xe3069283, 'tables intact');
});

/** Random mutations of valid batches: every one is decoded or rejected with a known code, never a trap. */
export function fuzzBatches(core: RivuletCore, iterations: number, seed = 11): { accepted: number; rejected: number; codes: Record<string, number> } {
  const rng = new Rng(seed);
  const known = new Set<number>(Object.values(E));
  const seeds: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) {
    const records = [];
    for (let k = 0; k < 1 + rng.int(6); k++) {
      records.push({ key: rng.int(3) ? rng.bytes(rng.int(20)) : null, value: rng.int(5) ? rng.bytes(rng.int(200)) : null, timestamp: 1000 + rng.int(1000), headers: rng.int(2) ? [{ key: 'h', value: rng.bytes(rng.int(5)) }] : undefined });
    }
    seeds.push(core.encodeBatch({ records, baseOffset: 0n }));
  }
  const region = core.alloc(4096);
  const codes: Record<string, number> = {};
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < iterations; i++) {
    const src = seeds[rng.int(seeds.length)]!;
    const u8 = core.u8;
    u8.set(src, region.ptr);
    let len = src.length;
    const kind = rng.int(8);
    const n = 1 + rng.int(4);
    for (let k = 0; k < n; k++) {
      const at = region.ptr + rng.int(len);
      if (kind < 4) u8[at] = rng.u32() & 255; // random byte
      else if (kind === 4) u8[at]! ^= 1 << rng.int(8); // bit flip
      else if (kind === 5) len = rng.int(len + 1); // truncate
      else if (kind === 6) u8[at] = [0x80, 0xff, 0x7f, 0x00, 0x01][rng.int(5)]!; // varint-ish bytes
      else len = Math.min(4096, len + rng.int(64)); // trailing garbage
    }
    // Half of the mutants get a correct CRC so the record parser is exercised, not only the CRC check.
    if (rng.int(2) && len >= 61) {
      const bl = core.dv.getInt32(region.ptr + 8, false) + 12;
      if (bl >= 61 && bl <= len) core.exports.batchUpdateCrc(region.ptr, bl);
    }
    const r = core.exports.batchValidate(region.ptr, len, rng.int(2), 0);
    if (r > 0) {
      accepted++;
      // Accepted → iterating must also succeed.
      if ((core.u8[region.ptr + 22]! & 7) === 0) core.recordsAt(region.ptr, r);
      // And the append path must agree.
      const s = core.appendAt(region.ptr, r, { nextOffset: 5n, relaxed: true });
      ok(s.error === 0 || s.error === E.CONTROL_BATCH, `append disagrees with validate: ${s.error}`);
    } else {
      ok(known.has(r), `unknown error code ${r}`);
      rejected++;
      codes[r] = (codes[r] ?? 0) + 1;
    }
  }
  return { accepted, rejected, codes };
}

test('fuzz: random mutations of valid batches never trap; instance still works', (core, env) => {
  const r = fuzzBatches(core, env.fuzzIterations);
  eq(r.accepted + r.rejected, env.fuzzIterations, 'every mutant decided');
  ok(r.rejected > env.fuzzIterations / 4, 'most mutants rejected');
  ok(Object.keys(r.codes).length >= 8, `many distinct error codes: ${JSON.stringify(r.codes)}`);
  eq(core.crc32c(utf8('123456789')), 0xe3069283, 'instance usable');
  const b = sampleBatch(core, 3);
  eq(core.validateBatch(b).recordCount, 3, 'still validates');
});

test('fuzz: random mutations of legacy message sets never trap', (core, env) => {
  const rng = new Rng(12);
  const set = concat(
    legacyMessage({ magic: 0, key: utf8('a'), value: utf8('bb') }),
    legacyMessage({ magic: 1, timestamp: 5, key: null, value: rng.bytes(50) }),
  );
  const region = core.alloc(512);
  const info = core.alloc(64);
  const out = core.alloc(2048);
  const known = new Set<number>(Object.values(E));
  const n = Math.max(1000, env.fuzzIterations / 10);
  for (let i = 0; i < n; i++) {
    core.u8.set(set, region.ptr);
    let len = set.length;
    for (let k = 0; k < 1 + rng.int(3); k++) {
      if (rng.int(6) === 0) len = rng.int(len + 1);
      else core.u8[region.ptr + rng.int(len)] = rng.u32() & 255;
    }
    const r = core.exports.legacyToV2(region.ptr, len, out.ptr, 2048, info.ptr);
    ok(r > 0 || known.has(r), `unknown code ${r}`);
    if (r > 0) eq(core.exports.batchValidate(out.ptr, r, 1, 0), r, 'converted batch is valid');
  }
  eq(core.crc32(utf8('123456789')), 0xcbf43926, 'instance usable');
});

test('fuzz: append over mutated multi-batch regions is all-or-nothing', (core, env) => {
  const rng = new Rng(31);
  const seeds: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) seeds.push(sampleBatch(core, 1 + rng.int(5), 0n, BigInt(1000 + i)));
  const region = core.alloc(8192);
  const n = Math.max(2000, env.fuzzIterations / 5);
  let ok1 = 0;
  for (let i = 0; i < n; i++) {
    const parts = [];
    for (let k = 0; k < 1 + rng.int(3); k++) parts.push(seeds[rng.int(seeds.length)]!);
    const src = concat(...parts);
    const u8 = core.u8;
    u8.set(src, region.ptr);
    let len = src.length;
    const m = rng.int(4);
    for (let k = 0; k < m; k++) {
      if (rng.int(5) === 0) len = rng.int(len + 1);
      else u8[region.ptr + rng.int(len)] = rng.u32() & 255;
    }
    if (rng.int(2)) {
      // fix every CRC we can find so the record checks run
      let pos = 0;
      while (pos + 61 <= len) {
        const bl = core.dv.getInt32(region.ptr + pos + 8, false) + 12;
        if (bl < 61 || pos + bl > len) break;
        core.exports.batchUpdateCrc(region.ptr + pos, bl);
        pos += bl;
      }
    }
    const before = core.u8.slice(region.ptr, region.ptr + len);
    const s = core.appendAt(region.ptr, len, { nextOffset: 77n, logAppendTime: rng.int(2) ? 5n : undefined });
    const after = core.u8.subarray(region.ptr, region.ptr + len);
    if (s.error !== 0) {
      ok(bytesEqualView(before, after), `rejected append (${s.error}) modified the region`);
      continue;
    }
    ok1++;
    let expect = 77n;
    for (const b of core.decodeBatches(after)) {
      eq(b.baseOffset, expect, 'consecutive offsets');
      expect += BigInt(b.lastOffsetDelta) + 1n;
    }
    eq(expect, s.nextOffset, 'next offset');
  }
  ok(ok1 > 0, 'some appends succeeded');
});

function bytesEqualView(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
