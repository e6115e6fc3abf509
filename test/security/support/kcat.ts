// kcat as the security tests run it: arguments, stdin, and a hard timeout; the exit code and both outputs
// come back (no throw), so a test can assert on a refused connection as well as on a served one.
import { spawn } from 'node:child_process';

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** kcat with `args`, `input` on stdin; resolves with stdout, stderr and the exit code (null when killed at `timeoutMs`). */
export function kcat(args: string[], input = '', timeoutMs = 20_000): Promise<KcatResult> {
  return new Promise((resolve) => {
    const p = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(input);
  });
}
