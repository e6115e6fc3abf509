// A bare Kafka client over one WebSocket for tests: one request frame per binary message, response
// messages queued and checked to be exactly one size-prefixed frame each.
import { expect } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { decodeResponseFrame, encodeRequestFrame } from '../../protocol/frame.js';
import type { ApiKey, RequestInputTypes, ResponseTypes } from '../../protocol/generated/index.js';
import { MessageQueue } from './raw-client.js';

export class WsClient {
  private corr = 1;
  private readonly messages = new MessageQueue();
  closeCode = 0;
  readonly closedPromise: Promise<void>;

  private constructor(
    readonly ws: WebSocket,
    private readonly clientId: string,
  ) {
    ws.on('message', (d: Buffer) => this.messages.push(d));
    ws.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      ws.on('close', (code: number) => {
        this.closeCode = code;
        this.messages.close();
        resolve();
      }),
    );
  }

  /** Opens `url` (a port: ws://127.0.0.1:<port>/); rejects with `HTTP <status>` when the upgrade is refused. */
  static connect(url: string | number, options: ClientOptions = {}, clientId = 'ws-test'): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(typeof url === 'number' ? `ws://127.0.0.1:${url}/` : url, options);
      ws.once('open', () => {
        ws.off('error', reject);
        resolve(new WsClient(ws, clientId));
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  get closed(): boolean {
    return this.messages.closed;
  }

  sendRaw(b: Uint8Array | string): void {
    this.ws.send(b);
  }

  send<K extends ApiKey>(apiKey: K, version: number, body: RequestInputTypes[K]): number {
    const c = this.corr++;
    this.ws.send(encodeRequestFrame(apiKey, version, c, this.clientId, body), { binary: true });
    return c;
  }

  /** Next message, checked to be exactly one size-prefixed frame; returns the frame without its prefix. */
  async next(timeoutMs = 5000): Promise<Buffer> {
    const m = await this.messages.next(timeoutMs, () => `websocket closed (${this.closeCode})`);
    expect(m.readInt32BE(0)).toBe(m.length - 4);
    return m.subarray(4);
  }

  async recv<K extends ApiKey>(apiKey: K, version: number): Promise<{ correlationId: number; body: ResponseTypes[K] }> {
    return decodeResponseFrame(apiKey, version, await this.next());
  }

  async request<K extends ApiKey>(apiKey: K, version: number, body: RequestInputTypes[K]): Promise<ResponseTypes[K]> {
    const c = this.send(apiKey, version, body);
    const r = await this.recv(apiKey, version);
    expect(r.correlationId).toBe(c);
    return r.body;
  }

  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return true;
    return Promise.race([this.closedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  close(): void {
    this.ws.terminate();
  }
}
