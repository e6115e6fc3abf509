// Header version rules, ignorable/non-ignorable fields, unknown tagged fields, frames.
import { describe, expect, it } from 'vitest';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame, readRequestHeader } from '../../protocol/frame.js';
import { ApiKey, apiByKey, apiList, apis, headerVersions } from '../../protocol/generated/index.js';
import { decodeApiVersionsResponse, encodeApiVersionsResponse, sizeApiVersionsResponse } from '../../protocol/generated/api-versions.js';
import { encodeMetadataRequest, sizeMetadataRequest } from '../../protocol/generated/metadata.js';
import { errorByCode, isRetriable, kafkaErrors } from '../../protocol/errors.js';
import { UnsupportedVersionError, ProtocolEncodeError } from '../../protocol/wire/errors.js';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';
import type { FieldModel } from '../../protocol/generator/schema.js';
import { contains, isEmpty } from '../../protocol/generator/versions.js';
import { models } from './model.js';

const all = models();

describe('header versions', () => {
  it('flexible request → v2 else v1; flexible response → v1 else v0', () => {
    for (const api of apiList) {
      for (let v = api.validVersions[0]; v <= api.validVersions[1]; v++) {
        const flexible = api.flexibleVersions !== null && v >= api.flexibleVersions;
        const hv = headerVersions(api.apiKey, v)!;
        if (api.apiKey === ApiKey.ControlledShutdown && v === 0) expect(hv).toEqual({ request: 0, response: 0 });
        else expect(hv.request).toBe(flexible ? 2 : 1);
        if (api.apiKey === ApiKey.ApiVersions) expect(hv.response).toBe(0);
        else if (!(api.apiKey === ApiKey.ControlledShutdown && v === 0)) expect(hv.response).toBe(flexible ? 1 : 0);
      }
    }
  });
  it('ApiVersions response header is v0 even for flexible v3/v4', () => {
    expect(headerVersions(ApiKey.ApiVersions, 3)).toEqual({ request: 2, response: 0 });
    expect(headerVersions(ApiKey.ApiVersions, 4)).toEqual({ request: 2, response: 0 });
    expect(headerVersions(ApiKey.Metadata, 9)).toEqual({ request: 2, response: 1 });
    expect(headerVersions(ApiKey.Metadata, 8)).toEqual({ request: 1, response: 0 });
    expect(headerVersions(ApiKey.ControlledShutdown, 0)).toEqual({ request: 0, response: 0 });
    expect(headerVersions(ApiKey.ControlledShutdown, 1)).toEqual({ request: 1, response: 0 });
  });
  it('unknown api key or version → undefined', () => {
    expect(headerVersions(9999, 0)).toBeUndefined();
    expect(headerVersions(ApiKey.Produce, 99)).toBeUndefined();
    expect(headerVersions(ApiKey.Produce, -1)).toBeUndefined();
  });
  it('registry facts', () => {
    expect(apiList.length).toBe(88);
    expect(apis[ApiKey.ApiVersions].validVersions).toEqual([0, 4]);
    expect(apis[ApiKey.ApiVersions].flexibleVersions).toBe(3);
    expect(apis[ApiKey.Produce].validVersions).toEqual([0, 11]);
    expect(apis[ApiKey.Produce].deprecatedVersions).toEqual([0, 6]);
    expect(apis[ApiKey.Fetch].validVersions).toEqual([0, 17]);
    expect(apis[ApiKey.Metadata].listeners).toEqual(['zkBroker', 'broker']);
    expect(apis[ApiKey.ShareFetch].latestVersionUnstable).toBe(true);
    expect(apiByKey(12345)).toBeUndefined();
  });
});

describe('frames', () => {
  it('request frame: header v2 keeps a classic int16 client id; body decodes', () => {
    const f = encodeRequestFrame(ApiKey.ApiVersions, 3, 42, 'client-1', { clientSoftwareName: 'rivulet', clientSoftwareVersion: '0.1' }, { sizePrefix: false });
    // api key 18, version 3, correlation 42, client id int16 length 8, then header tag section 0
    expect(Array.from(f.subarray(0, 10))).toEqual([0, 18, 0, 3, 0, 0, 0, 42, 0, 8]);
    expect(f[18]).toBe(0);
    const d = decodeRequestFrame(f);
    expect(d.apiKey).toBe(ApiKey.ApiVersions);
    expect(d.headerVersion).toBe(2);
    expect(d.header.clientId).toBe('client-1');
    if (d.apiKey === ApiKey.ApiVersions) expect(d.body.clientSoftwareName).toBe('rivulet');
  });
  it('ControlledShutdown v0 uses request header v0 (no client id)', () => {
    const f = encodeRequestFrame(ApiKey.ControlledShutdown, 0, 5, 'ignored', { brokerId: 3 }, { sizePrefix: false });
    expect(Array.from(f)).toEqual([0, 7, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3]);
    const d = decodeRequestFrame(f);
    expect(d.header.clientId).toBe(''); // absent in v0: Kafka's default
  });
  it('response frame has the size prefix and the right header', () => {
    const out = encodeResponseFrame(ApiKey.Metadata, 9, 7, { brokers: [], topics: [] });
    const size = new DataView(out.buffer).getInt32(0);
    expect(size).toBe(out.length - 4);
    // header v1: correlation id + empty tag section
    expect(Array.from(out.subarray(4, 9))).toEqual([0, 0, 0, 7, 0]);
    expect(decodeResponseFrame(ApiKey.Metadata, 9, out.subarray(4)).correlationId).toBe(7);
    const av = encodeResponseFrame(ApiKey.ApiVersions, 3, 8, { apiKeys: [] });
    // ApiVersions v3: header v0 → body starts right after the correlation id (error code 0)
    expect(Array.from(av.subarray(4, 10))).toEqual([0, 0, 0, 8, 0, 0]);
  });
  it('unsupported version: header still readable for an error answer', () => {
    const bytes = new Uint8Array([0, 18, 0, 99, 0, 0, 0, 1, 0, 1, 0x61, 0]);
    const info = readRequestHeader(new Reader(bytes));
    expect(info.supported).toBe(false);
    expect(info.header.correlationId).toBe(1);
    expect(info.header.clientId).toBe('a');
    expect(() => decodeRequestFrame(bytes)).toThrow(UnsupportedVersionError);
  });
});

describe('ignorable semantics', () => {
  const nonDefault = (f: FieldModel): unknown => {
    const t = f.type;
    if (t.kind !== 'primitive') return undefined;
    const d = f.default;
    switch (t.name) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'uint16':
      case 'uint32':
      case 'float64':
        return d.kind === 'number' ? (d.value === 1 ? 2 : 1) : undefined;
      case 'int64':
        return d.kind === 'bigint' ? d.value + 1n : undefined;
      case 'bool':
        return d.kind === 'bool' ? !d.value : undefined;
      case 'string':
        return 'non-default';
      default:
        return undefined;
    }
  };
  it('a non-default value for a field the version lacks: dropped if ignorable, else UnsupportedVersionError', () => {
    let ignorable = 0;
    let strict = 0;
    for (const api of apiList) {
      for (const side of ['Request', 'Response'] as const) {
        const model = all.get(`${api.name}${side}`)!;
        const encode = side === 'Request' ? api.encodeRequest : api.encodeResponse;
        const size = side === 'Request' ? api.sizeRequest : api.sizeResponse;
        const decode = side === 'Request' ? api.decodeRequest : api.decodeResponse;
        for (let v = api.validVersions[0]; v <= api.validVersions[1]; v++) {
          for (const f of model.root.fields) {
            if (contains(f.versions, v)) continue;
            const value = nonDefault(f);
            if (value === undefined) continue;
            const msg = { [f.prop]: value };
            const run = (): Uint8Array => {
              const w = new Writer(size(v, msg));
              encode(w, v, msg);
              return w.buf;
            };
            if (f.ignorable) {
              const decoded = decode(new Reader(run()), v) as Record<string, unknown>;
              expect(decoded[f.prop]).not.toEqual(value);
              ignorable++;
            } else {
              expect(run, `${model.name}.${f.name} v${v}`).toThrow(UnsupportedVersionError);
              strict++;
            }
          }
        }
      }
    }
    expect(ignorable).toBeGreaterThan(50);
    expect(strict).toBeGreaterThan(10);
  });
  it('examples: ApiVersions throttle time dropped at v0; Metadata allowAutoTopicCreation=false rejected before v4', () => {
    const w = new Writer(sizeApiVersionsResponse(0, { throttleTimeMs: 100 }));
    encodeApiVersionsResponse(w, 0, { throttleTimeMs: 100 });
    expect(decodeApiVersionsResponse(new Reader(w.buf), 0).throttleTimeMs).toBe(0);
    expect(() => encodeMetadataRequest(new Writer(64), 3, { topics: [], allowAutoTopicCreation: false })).toThrow(UnsupportedVersionError);
    expect(sizeMetadataRequest(4, { topics: [], allowAutoTopicCreation: false })).toBe(5);
  });
  it('null where the version does not allow it → ProtocolEncodeError', () => {
    // Metadata request topics are nullable from v1 only.
    expect(() => encodeMetadataRequest(new Writer(64), 0, { topics: null })).toThrow(ProtocolEncodeError);
  });
  it('versions outside the range → UnsupportedVersionError', () => {
    expect(() => apis[ApiKey.Produce].sizeRequest(12, {})).toThrow(UnsupportedVersionError);
    expect(() => apis[ApiKey.Produce].decodeRequest(new Reader(new Uint8Array(10)), -1)).toThrow(UnsupportedVersionError);
  });
});

describe('unknown tagged fields', () => {
  it('are preserved as views and re-emitted in tag order around known ones', () => {
    const msg = {
      apiKeys: [{ apiKey: 1, minVersion: 0, maxVersion: 17, _unknownTaggedFields: [{ tag: 9, data: new Uint8Array([1, 2]) }] }],
      finalizedFeaturesEpoch: 3n,
      _unknownTaggedFields: [
        { tag: 0 + 50, data: new Uint8Array([7]) },
        { tag: 300, data: new Uint8Array([8, 9, 10]) },
      ],
    };
    const w = new Writer(sizeApiVersionsResponse(3, msg));
    encodeApiVersionsResponse(w, 3, msg);
    const decoded = decodeApiVersionsResponse(new Reader(w.buf), 3);
    expect(decoded._unknownTaggedFields).toEqual(msg._unknownTaggedFields);
    expect(decoded.apiKeys[0]!._unknownTaggedFields).toEqual([{ tag: 9, data: new Uint8Array([1, 2]) }]);
    expect(decoded._unknownTaggedFields![1]!.data.buffer).toBe(w.buf.buffer);
    expect(decoded.finalizedFeaturesEpoch).toBe(3n);
  });
  it('nothing in non-flexible versions', () => {
    expect(isEmpty(all.get('ProduceRequest')!.flexibleVersions)).toBe(false);
  });
});

describe('error table', () => {
  it('covers -1 … 127 with unique names', () => {
    expect(kafkaErrors.length).toBe(129);
    for (let c = -1; c <= 127; c++) expect(errorByCode(c)?.code).toBe(c);
    expect(new Set(kafkaErrors.map((e) => e.name)).size).toBe(kafkaErrors.length);
    expect(errorByCode(3)?.name).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(isRetriable(3)).toBe(true);
    expect(isRetriable(35)).toBe(false);
    expect(errorByCode(1000)).toBeUndefined();
  });
});
