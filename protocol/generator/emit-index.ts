// generated/api.ts: what every API is (key, name, versions, header-version rules) without any codec, so the
// broker can load it at start without the codecs of the ~60 APIs it does not serve (start-up time).
// generated/<api>.ts ends with that API's descriptor (facts + codecs), see emitApiDescriptor().
// generated/index.ts: the registry of every API's descriptor by key, type maps; what clients and tests use.
import { Code } from './code.js';
import { GENERATED_BANNER } from './emit-module.js';
import type { MessageModel } from './schema.js';
import { formatRange, isEmpty } from './versions.js';

export interface ApiPair {
  apiKey: number;
  /** API name without Request/Response, e.g. "ApiVersions". */
  name: string;
  module: string;
  request: MessageModel;
  response: MessageModel;
}

/** The facts of one API (the descriptor without codecs), as an object literal's lines. */
function metaLines(c: Code, a: ApiPair): void {
  const rq = a.request;
  const rs = a.response;
  const valid = rq.validVersions;
  if (rs.validVersions.min !== valid.min || rs.validVersions.max !== valid.max) throw new Error(`${a.name}: request/response validVersions differ`);
  if (formatRange(rq.flexibleVersions) !== formatRange(rs.flexibleVersions)) throw new Error(`${a.name}: request/response flexibleVersions differ`);
  const dep = rq.deprecatedVersions;
  c.line(`apiKey: ${a.apiKey},`);
  c.line(`name: '${a.name}',`);
  c.line(`validVersions: [${valid.min}, ${valid.max}],`);
  c.line(`flexibleVersions: ${isEmpty(rq.flexibleVersions) ? 'null' : rq.flexibleVersions.min},`);
  c.line(`deprecatedVersions: ${isEmpty(dep) ? 'null' : `[${dep.min}, ${dep.max === Infinity ? valid.max : dep.max}]`},`);
  c.line(`latestVersionUnstable: ${rq.latestVersionUnstable || rs.latestVersionUnstable},`);
  c.line(`listeners: [${rq.listeners.map((l) => `'${l}'`).join(', ')}],`);
}

/** The descriptor appended to an API's own module: `export const ProduceApi: ApiDescriptor<…> = { ...apiMetas[0], codecs }`. */
export function emitApiDescriptor(a: ApiPair): string {
  const c = new Code();
  const rq = a.request.name;
  const rs = a.response.name;
  c.line(`// ---- ${a.name}Api ----`);
  c.line();
  c.doc([`${a.name} (api key ${a.apiKey}): its facts and codecs.`]);
  c.block(`export const ${a.name}Api: ApiDescriptor<${rq}, ${rs}, ${rq}Input, ${rs}Input> =`, () => {
    c.line(`...apiMetas[${a.apiKey}],`);
    c.line(`decodeRequest: decode${rq},`);
    c.line(`encodeRequest: encode${rq},`);
    c.line(`sizeRequest: size${rq},`);
    c.line(`decodeResponse: decode${rs},`);
    c.line(`encodeResponse: encode${rs},`);
    c.line(`sizeResponse: size${rs},`);
  }, '};');
  return c.toString();
}

export function emitApi(apis: ApiPair[]): string {
  const c = new Code();
  for (const l of GENERATED_BANNER) c.line(l);
  c.line('// Every Kafka API by key: name, versions, listeners and header versions, without codecs.');
  c.line();
  c.line("import type { Reader } from '../wire/reader.js';");
  c.line("import type { Writer } from '../wire/writer.js';");
  c.line();
  emitApiInterfaces(c);
  c.line();
  emitApiKeysAndMetas(c, apis);
  c.line();
  emitHeaderVersions(c);
  return c.toString();
}

/** The ApiMeta (facts) and ApiDescriptor (facts + codecs) interfaces. */
function emitApiInterfaces(c: Code): void {
  c.doc(['Static facts of one API.']);
  c.block('export interface ApiMeta', () => {
    c.line('readonly apiKey: number;');
    c.doc(['Name without Request/Response, e.g. "ApiVersions".']);
    c.line('readonly name: string;');
    c.doc(['Inclusive [min, max] of the versions this schema describes.']);
    c.line('readonly validVersions: readonly [number, number];');
    c.doc(['First flexible (KIP-482) version, or null when no version is flexible.']);
    c.line('readonly flexibleVersions: number | null;');
    c.doc(['Versions Kafka 3.9 marks deprecated (KIP-896) as [min, max], or null.']);
    c.line('readonly deprecatedVersions: readonly [number, number] | null;');
    c.doc(['True when the newest version is not final (left out of ApiVersions unless unstable versions are enabled).']);
    c.line('readonly latestVersionUnstable: boolean;');
    c.doc(['Kafka roles that serve the API: "broker", "controller", "zkBroker".']);
    c.line('readonly listeners: readonly string[];');
  });
  c.line();
  c.doc(['Static facts and codecs of one API (each API module exports one, e.g. `ProduceApi`).']);
  c.block('export interface ApiDescriptor<Req = any, Res = any, ReqIn = any, ResIn = any> extends ApiMeta', () => {
    c.line('decodeRequest(r: Reader, version: number): Req;');
    c.line('encodeRequest(w: Writer, version: number, message: ReqIn): void;');
    c.line('sizeRequest(version: number, message: ReqIn): number;');
    c.line('decodeResponse(r: Reader, version: number): Res;');
    c.line('encodeResponse(w: Writer, version: number, message: ResIn): void;');
    c.line('sizeResponse(version: number, message: ResIn): number;');
  });
}

/** ApiKey by name, every API's facts by key, and the lookup by key. */
function emitApiKeysAndMetas(c: Code, apis: ApiPair[]): void {
  c.doc(['Api keys by name.']);
  c.block('export const ApiKey =', () => {
    for (const a of apis) c.line(`${a.name}: ${a.apiKey},`);
  }, '} as const;');
  c.line('export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];');
  c.line();
  c.doc(['Every API\'s facts by key (sparse: a missing key is not an API).']);
  c.block('export const apiMetas: { readonly [K in ApiKey]: ApiMeta } =', () => {
    for (const a of apis) {
      c.block(`${a.apiKey}:`, () => metaLines(c, a), '},');
    }
  }, '};');
  c.line();
  c.doc(['The facts of `apiKey`, or undefined when there is no such API.']);
  c.block('export function apiMetaByKey(apiKey: number): ApiMeta | undefined', () => {
    c.line('return Object.prototype.hasOwnProperty.call(apiMetas, apiKey) ? (apiMetas as Record<number, ApiMeta>)[apiKey] : undefined;');
  });
}

/** headerVersions(): which request/response header version an API version uses. */
function emitHeaderVersions(c: Code): void {
  c.doc([
    'Header versions for a request/response of `apiKey` at `apiVersion`:',
    'request header v2 for flexible versions, else v1 (v0 only for ControlledShutdown v0);',
    'response header v1 for flexible versions, else v0 — except ApiVersions, whose response header is always v0',
    '(a client that does not yet know our versions must be able to read it).',
    'Returns undefined for an unknown api key or a version outside its valid range.',
  ]);
  c.block('export function headerVersions(apiKey: number, apiVersion: number): { request: 0 | 1 | 2; response: 0 | 1 } | undefined', () => {
    c.line('const api = apiMetaByKey(apiKey);');
    c.line('if (api === undefined || apiVersion < api.validVersions[0] || apiVersion > api.validVersions[1]) return undefined;');
    c.line('const flexible = api.flexibleVersions !== null && apiVersion >= api.flexibleVersions;');
    c.line(`if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return { request: 0, response: 0 };`);
    c.line('return { request: flexible ? 2 : 1, response: flexible && apiKey !== ApiKey.ApiVersions ? 1 : 0 };');
  });
}

export function emitIndex(apis: ApiPair[], others: { module: string; message: MessageModel }[]): string {
  const c = new Code();
  for (const l of GENERATED_BANNER) c.line(l);
  c.line('// Registry of every Kafka API: versions, listeners and codecs, by api key. Importing it loads every codec;');
  c.line('// the broker imports only api.ts and the modules of the APIs it serves.');
  c.line();
  c.line("import type { ApiDescriptor, ApiKey } from './api.js';");
  for (const a of apis) {
    const rq = a.request.name;
    const rs = a.response.name;
    c.line(`import { type ${rq}, type ${rq}Input, type ${rs}, type ${rs}Input, ${a.name}Api } from './${a.module}.js';`);
  }
  c.line();
  c.line("export * from './api.js';");
  for (const a of apis) c.line(`export * from './${a.module}.js';`);
  for (const o of others) c.line(`export * from './${o.module}.js';`);
  c.line();
  for (const [tname, side, input] of [
    ['RequestTypes', 'request', ''],
    ['RequestInputTypes', 'request', 'Input'],
    ['ResponseTypes', 'response', ''],
    ['ResponseInputTypes', 'response', 'Input'],
  ] as const) {
    c.doc([`${side === 'request' ? 'Request' : 'Response'} ${input ? 'encoder input ' : ''}type by api key.`]);
    c.block(`export interface ${tname}`, () => {
      for (const a of apis) c.line(`${a.apiKey}: ${a[side].name}${input};`);
    });
    c.line();
  }
  c.doc(['Descriptor type of the API with key K.']);
  c.line('export type ApiOf<K extends ApiKey> = ApiDescriptor<RequestTypes[K], ResponseTypes[K], RequestInputTypes[K], ResponseInputTypes[K]>;');
  c.line();
  c.doc(['Every API by key (sparse: a missing key is not an API).']);
  c.block('export const apis: { readonly [K in ApiKey]: ApiOf<K> } =', () => {
    for (const a of apis) c.line(`${a.apiKey}: ${a.name}Api,`);
  }, '};');
  c.line();
  c.doc(['All API descriptors, ordered by api key.']);
  c.line('export const apiList: readonly ApiDescriptor[] = Object.values(apis);');
  c.line();
  c.doc(['The descriptor for `apiKey`, or undefined when there is no such API.']);
  c.block('export function apiByKey(apiKey: number): ApiDescriptor | undefined', () => {
    c.line('return Object.prototype.hasOwnProperty.call(apis, apiKey) ? (apis as Record<number, ApiDescriptor>)[apiKey] : undefined;');
  });
  return c.toString();
}
