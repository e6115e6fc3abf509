// OPFS synchronous access handles are only declared in TypeScript's WebWorker lib; the project compiles
// with the DOM lib, so the members host-browser uses are declared here (they exist in Chromium, Firefox
// and Safari dedicated workers).
interface FileSystemSyncAccessHandle {
  close(): void;
  flush(): void;
  getSize(): number;
  read(buffer: ArrayBufferView, options?: { at?: number }): number;
  truncate(newSize: number): void;
  write(buffer: ArrayBufferView, options?: { at?: number }): number;
}
interface FileSystemFileHandle {
  createSyncAccessHandle(): Promise<FileSystemSyncAccessHandle>;
}
