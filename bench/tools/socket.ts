// Socket helpers of the benches' ceiling measurements (a sink fed as fast as the socket takes it).

/** Writes `total` bytes to `sock` in chunks of `chunkBytes`, waiting for 'drain' when its buffer is full. */
export function writeAll(sock: { write(chunk: Uint8Array): boolean; once(event: 'drain', listener: () => void): unknown }, total: number, chunkBytes: number): Promise<void> {
  const chunk = Buffer.alloc(chunkBytes, 7);
  let sent = 0;
  return new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
}
