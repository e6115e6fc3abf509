// A broker's registration in etcd: /brokers/ids/<id> tied to a lease of broker.session.timeout.ms, kept
// alive by a keep-alive every broker.heartbeat.interval.ms. The key's create revision is the broker epoch.
// 'lost' fires once when the lease is gone (etcd said so, or no keep-alive succeeded for a whole session
// timeout); reRegister() then starts a new session with a new epoch.
import { EventEmitter } from 'node:events';
import type { Lease, Namespace } from 'etcd3';
import { invariant } from '../../common/invariant.js';
import { brokerKey } from './keys.js';
import { encodeBrokerRegistration, type BrokerRegistration } from './records.js';

/** Another live broker holds this id (Kafka's NodeExistsException on /brokers/ids/<id>). */
export class BrokerIdInUseError extends Error {
  constructor(readonly brokerId: number) {
    super(`Broker id ${brokerId} is already registered in etcd by a live broker (/brokers/ids/${brokerId} exists): every broker needs its own node.id`);
    this.name = 'BrokerIdInUseError';
  }
}

export class BrokerSession extends EventEmitter<{ lost: [Error] }> {
  private timer: NodeJS.Timeout | null = null;
  private lastKeepAliveMs = Date.now();
  private keepAliveInFlight = false;
  private ended = false;

  private constructor(
    private readonly ns: Namespace,
    readonly registration: BrokerRegistration,
    readonly sessionTimeoutMs: number,
    readonly heartbeatIntervalMs: number,
    /** The etcd lease the registration (and the controller claim) is tied to. */
    readonly lease: Lease,
    readonly leaseId: string,
    /** The create revision of /brokers/ids/<id>. */
    readonly brokerEpoch: number,
    /** The open sessions of the store that made this one (it leaves the set when it ends). */
    private readonly openSessions: Set<BrokerSession>,
  ) {
    super();
    openSessions.add(this);
    lease.on('lost', (e) => this.lose(e));
    this.timer = setInterval(() => this.heartbeat(), heartbeatIntervalMs);
    this.timer.unref();
  }

  /** One keep-alive (unless one is still pending), and the loss check: no renewal for a whole session timeout. */
  private heartbeat(): void {
    if (Date.now() - this.lastKeepAliveMs > this.sessionTimeoutMs) return this.lose(new Error(`no etcd keep-alive succeeded for ${this.sessionTimeoutMs} ms`));
    // A released lease is left to expire: no more keep-alives.
    if (this.keepAliveInFlight || this.lease.revoked()) return;
    this.keepAliveInFlight = true;
    // Counted from when it was sent (etcd renewed the lease no earlier): the loss is noticed at most one
    // heartbeat interval after etcd may have expired the lease.
    const sentMs = Date.now();
    this.lease
      .keepaliveOnce({ deadline: sentMs + Math.max(this.heartbeatIntervalMs, 1000) })
      .then(() => (this.lastKeepAliveMs = sentMs))
      .catch(() => {}) // etcd unreachable: retried next interval; the loss check above decides
      .finally(() => (this.keepAliveInFlight = false));
  }

  get brokerId(): number {
    return this.registration.brokerId;
  }

  /** False once the session is lost or closed. */
  get alive(): boolean {
    return !this.ended;
  }

  static async register(
    ns: Namespace,
    reg: BrokerRegistration,
    sessionTimeoutMs: number,
    heartbeatIntervalMs: number,
    openSessions: Set<BrokerSession>,
  ): Promise<BrokerSession> {
    invariant(heartbeatIntervalMs > 0 && heartbeatIntervalMs < sessionTimeoutMs, 'the heartbeat interval is shorter than the session timeout');
    const lease = ns.lease(Math.max(1, Math.ceil(sessionTimeoutMs / 1000)), { autoKeepAlive: false });
    lease.on('lost', () => {}); // a lost lease before registration completes is reported by grant()/the txn
    const leaseId = await lease.grant();
    const key = brokerKey(reg.brokerId);
    const res = await ns
      .if(key, 'Create', '==', 0)
      .then(ns.put(key).value(encodeBrokerRegistration(reg, Date.now())).lease(leaseId))
      .commit()
      .catch(async (e: unknown) => {
        await lease.revoke().catch(() => {});
        throw e;
      });
    if (!res.succeeded) {
      await lease.revoke().catch(() => {});
      throw new BrokerIdInUseError(reg.brokerId);
    }
    return new BrokerSession(ns, reg, sessionTimeoutMs, heartbeatIntervalMs, lease, leaseId, Number(res.header.revision), openSessions);
  }

  /** A new session (new lease, new broker epoch) after this one was lost. */
  async reRegister(): Promise<BrokerSession> {
    await this.close();
    return BrokerSession.register(this.ns, this.registration, this.sessionTimeoutMs, this.heartbeatIntervalMs, this.openSessions);
  }

  /** Revokes the lease: the registration (and a controller claim) disappear at once. */
  async close(): Promise<void> {
    this.stop();
    await this.lease.revoke().catch(() => {});
  }

  private lose(e: Error): void {
    if (this.ended) return;
    this.stop();
    this.lease.release();
    this.emit('lost', e);
  }

  private stop(): void {
    this.ended = true;
    this.openSessions.delete(this);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
