import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** Unix seconds by the test's clock when the request arrived, to check the timestamp as a receiver would. */
  receivedAt: number;
}

/**
 * A webhook receiver on 127.0.0.1 that records every request. `mode` decides the response: `ok` (204),
 * `error` (500), or `hold` (no answer until `release()`), which stands for a slow receiver.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  mode: 'ok' | 'error' | 'hold' = 'ok';
  private server: Server | null = null;
  private held: (() => void)[] = [];
  port = 0;

  constructor(private readonly nowMilliseconds: () => number = Date.now) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Listens on the given port (0 picks a free one); a receiver stopped and started on its old port comes back up. */
  async start(port = this.port): Promise<void> {
    this.server = createServer((request, response) => {
      void readBody(request).then((body) => {
        this.received.push({
          id: String(request.headers['webhook-id']),
          timestamp: String(request.headers['webhook-timestamp']),
          signature: String(request.headers['webhook-signature']),
          body,
          receivedAt: Math.floor(this.nowMilliseconds() / 1000),
        });
        const answer = () => response.writeHead(this.mode === 'error' ? 500 : 204).end();
        if (this.mode === 'hold') this.held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Responds to every held request. */
  release(): void {
    this.mode = 'ok';
    for (const answer of this.held.splice(0)) answer();
  }

  async stop(): Promise<void> {
    this.release();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
