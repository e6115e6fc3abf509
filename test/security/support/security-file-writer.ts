// Child process of security-store-file.test.ts: alters the SCRAM credential of user "u" with iterations
// 4096, 4097, … as fast as it can, printing each iteration count once its write resolved, until killed.
import { FileSecurityStore } from '../../../host-node/security/file-security-store.js';
import { newScramCredential } from '../../../host-node/security/scram.js';

const store = FileSecurityStore.open(process.argv[2]!);
// Padding makes each write large enough that a kill lands inside one.
const padding = Array.from({ length: 200 }, (_, i) => ({ user: `pad-${i}`, mechanism: 'SCRAM-SHA-256' as const, credential: newScramCredential('SCRAM-SHA-256', 'x', 4096) }));
await store.alterScram(padding);
for (let i = 4096; ; i++) {
  // The iteration count is the version marker (the keys stay those of 4096 iterations: only the file matters here).
  const credential = { ...newScramCredential('SCRAM-SHA-256', 'pw', 4096, Buffer.alloc(16, 1)), iterations: i };
  await store.alterScram([{ user: 'u', mechanism: 'SCRAM-SHA-256', credential }]);
  process.stdout.write(`${i}\n`);
}
