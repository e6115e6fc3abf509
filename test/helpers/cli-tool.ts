// Runs one of the CLI tools' run() in-process with captured streams: its exit code, stdout and stderr.
import { Readable } from 'node:stream';
import type { ToolIO } from '../../host-node/cli/client-tool.js';

export type ToolRun = (argv: string[], io: ToolIO) => Promise<number>;

export async function tool(run: ToolRun, argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ToolIO = { stdin: Readable.from([stdin]), stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
  const code = await run(argv, io);
  return { code, out, err };
}
