// The Prometheus endpoint: GET /metrics on metrics.host:metrics.port (node:http, nothing else served).
import { createServer, type Server } from 'node:http';
import type { BrokerMetrics } from './broker-metrics.js';
import type { Logger } from '../util/log.js';

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: BrokerMetrics, host: string, port: number, log: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Rivulet serves Prometheus metrics at /metrics\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (e: Error) => {
        log.error(`metrics scrape failed: ${e.stack ?? e.message}`);
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log.error(`metrics endpoint error: ${e.message}`));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('unexpected metrics server address');
  const shownHost = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | null = null;
  return {
    host: addr.address,
    port: addr.port,
    url: `http://${shownHost}:${addr.port}/metrics`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
