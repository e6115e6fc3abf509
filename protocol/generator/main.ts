// Codec generator entry point: reads Kafka's message JSON, writes protocol/generated/.
// Usage: tsx protocol/generator/main.ts [--messages <dir>] [--out <dir>]
// The schema folder defaults to $RIVULET_KAFKA_MESSAGES, else <repo root>/../shared/kafka-protocol/messages.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ApiPair, emitApi, emitApiDescriptor, emitIndex } from './emit-index.js';
import { emitModule, kebabCase } from './emit-module.js';
import { type MessageModel, loadMessage } from './schema.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function defaultMessagesDir(): string {
  return process.env.RIVULET_KAFKA_MESSAGES ?? resolve(repoRoot, '..', 'shared', 'kafka-protocol', 'messages');
}
export const defaultOutDir = join(repoRoot, 'protocol', 'generated');

/** KRaft metadata/snapshot records: not needed by a client-facing broker. */
const SKIPPED_DATA = new Set(['KRaftVersionRecord', 'LeaderChangeMessage', 'SnapshotFooterRecord', 'SnapshotHeaderRecord', 'VotersRecord']);

/** Loads every schema and renders every output file: file name → contents. */
export function generate(messagesDir = defaultMessagesDir()): Map<string, string> {
  if (!existsSync(messagesDir)) throw new Error(`Kafka message schemas not found at ${messagesDir} (set RIVULET_KAFKA_MESSAGES)`);
  const files = readdirSync(messagesDir).filter((f) => f.endsWith('.json')).sort();
  const messages: MessageModel[] = files.map((f) => loadMessage(f, readFileSync(join(messagesDir, f), 'utf8')));
  const requests = new Map<number, MessageModel>();
  const responses = new Map<number, MessageModel>();
  const others: { module: string; message: MessageModel }[] = [];
  for (const m of messages) {
    if (m.kind === 'request' || m.kind === 'response') {
      const map = m.kind === 'request' ? requests : responses;
      if (map.has(m.apiKey!)) throw new Error(`${m.file}: duplicate ${m.kind} for api key ${m.apiKey}`);
      if (!m.name.endsWith(m.kind === 'request' ? 'Request' : 'Response')) throw new Error(`${m.file}: ${m.kind} name must end in ${m.kind}`);
      map.set(m.apiKey!, m);
    } else if (!SKIPPED_DATA.has(m.name)) {
      others.push({ module: kebabCase(m.name), message: m });
    }
  }
  const apis: ApiPair[] = [];
  for (const key of [...requests.keys()].sort((a, b) => a - b)) {
    const request = requests.get(key)!;
    const response = responses.get(key);
    if (!response) throw new Error(`api key ${key}: request without response`);
    const name = request.name.slice(0, -'Request'.length);
    if (response.name !== `${name}Response`) throw new Error(`api key ${key}: ${request.name} paired with ${response.name}`);
    apis.push({ apiKey: key, name, module: kebabCase(name), request, response });
  }
  for (const key of responses.keys()) if (!requests.has(key)) throw new Error(`api key ${key}: response without request`);

  const out = new Map<string, string>();
  for (const a of apis) out.set(`${a.module}.ts`, emitModule([a.request, a.response], `${a.name} (api key ${a.apiKey})`, emitApiDescriptor(a)));
  for (const o of others) out.set(`${o.module}.ts`, emitModule([o.message], `${o.message.name} (${o.message.kind})`));
  out.set('api.ts', emitApi(apis));
  out.set('index.ts', emitIndex(apis, others));
  return out;
}

/** Writes the generated files into `outDir`, removing stale .ts files there. */
export function writeGenerated(outDir = defaultOutDir, messagesDir = defaultMessagesDir()): string[] {
  const files = generate(messagesDir);
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (f.endsWith('.ts') && !files.has(f)) rmSync(join(outDir, f));
  for (const [name, text] of files) {
    const path = join(outDir, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
  }
  return [...files.keys()];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const outDir = resolve(opt('--out') ?? defaultOutDir);
  const written = writeGenerated(outDir, resolve(opt('--messages') ?? defaultMessagesDir()));
  console.log(`generated ${written.length} files into ${outDir}`);
}
