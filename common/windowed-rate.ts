// Kafka's windowed rate and quota check (org.apache.kafka.common.metrics: Rate over a SampledStat, Sensor
// with a Quota, QuotaUtils.throttleTime), shared by client quotas (host-node/security/client-quotas.ts) and
// the connection creation rate (host-node/network/connection-quotas.ts). Time is passed in, never read.
//
// The rate keeps `samples` + 1 samples of `windowMs` each (the extra one holds the sample overlapping the
// start of the span), recycles the oldest as time moves on, and divides the total by a window span of at
// least (samples − 1) windows, so a client's first burst is spread over the whole span.

export interface QuotaWindowConfig {
  /** quota.window.num. */
  readonly samples: number;
  /** quota.window.size.seconds, in ms. */
  readonly windowMs: number;
}

/** One sample of a SampledStat: the total recorded since it started. */
interface Sample {
  value: number;
  eventCount: number;
  startTimeMs: number;
  lastEventMs: number;
}

/**
 * Kafka's Rate(SampledTotal) in per-second units: `samples` + 1 samples of `windowMs` (the extra one holds
 * the sample overlapping the start of the span), an observed rate of total / window span.
 */
export class WindowedRate {
  private readonly samples: Sample[] = [];
  private current = 0;

  constructor(private readonly config: QuotaWindowConfig) {}

  record(value: number, nowMs: number): void {
    let s = this.currentSample(nowMs);
    if (nowMs - s.startTimeMs >= this.config.windowMs) s = this.advance(nowMs);
    s.value += value;
    s.eventCount += 1;
    s.lastEventMs = nowMs;
  }

  /** Removes a recorded value again (Kafka's unrecord: a negative record, as a throttled Fetch does). */
  unrecord(value: number, nowMs: number): void {
    this.record(-value, nowMs);
  }

  /** The rate per second at `nowMs`. */
  measure(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total / (this.windowSizeMs(nowMs) / 1000);
  }

  /** The span the rate is measured over: from the oldest sample's start, at least (samples − 1) windows, ≥ 1 ms. */
  windowSizeMs(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let elapsed = nowMs - this.oldest(nowMs).startTimeMs;
    const fullWindows = Math.floor(elapsed / this.config.windowMs);
    const minFullWindows = this.config.samples - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.config.windowMs;
    return Math.max(elapsed, 1);
  }

  /** The last time anything was recorded (for expiring idle sensors). */
  get lastRecordMs(): number {
    return this.samples.length === 0 ? -Infinity : this.samples[this.current]!.lastEventMs;
  }

  private currentSample(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push(newSample(nowMs));
    return this.samples[this.current]!;
  }

  private advance(nowMs: number): Sample {
    const maxSamples = this.config.samples + 1;
    this.current = (this.current + 1) % maxSamples;
    if (this.current >= this.samples.length) {
      const s = newSample(nowMs);
      this.samples.push(s);
      return s;
    }
    const s = this.samples[this.current]!;
    resetSample(s, nowMs);
    return s;
  }

  private oldest(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push(newSample(nowMs));
    let oldest = this.samples[0]!;
    for (let i = 1; i < this.samples.length; i++) if (this.samples[i]!.startTimeMs < oldest.startTimeMs) oldest = this.samples[i]!;
    return oldest;
  }

  /** Samples with no event within the whole span are reset (they no longer count). */
  private purgeObsolete(nowMs: number): void {
    const expireAge = this.config.samples * this.config.windowMs;
    for (const s of this.samples) if (nowMs - s.lastEventMs >= expireAge) resetSample(s, nowMs);
  }
}

function newSample(nowMs: number): Sample {
  return { value: 0, eventCount: 0, startTimeMs: nowMs, lastEventMs: nowMs };
}

function resetSample(s: Sample, nowMs: number): void {
  s.value = 0;
  s.eventCount = 0;
  s.startTimeMs = nowMs;
  s.lastEventMs = nowMs;
}

/**
 * Kafka's QuotaUtils.throttleTime: how long until the rate falls back to `bound` with nothing more recorded,
 * (observed − bound) / bound × window span, rounded; bounded by `maxMs` when given (boundedThrottleTime).
 */
export function throttleTimeMs(observed: number, bound: number, windowSizeMs: number, maxMs = Infinity): number {
  if (!(observed > bound)) return 0;
  const ms = Math.round(((observed - bound) / bound) * windowSizeMs);
  return Math.min(ms, maxMs);
}

/**
 * A quota's sensor (Kafka's Sensor with a Quota on its rate): records a value, then checks the rate against
 * the bound; a violation returns the throttle time (the value stays recorded, as in Kafka).
 */
export class QuotaSensor {
  readonly rate: WindowedRate;

  constructor(
    private readonly config: QuotaWindowConfig,
    /** Bounds the throttle time by one window (request_percentage, connection creation rates). */
    private readonly boundedByWindow: boolean,
  ) {
    this.rate = new WindowedRate(config);
  }

  /** Records `value` at `nowMs` against `bound` (per second); returns the throttle time in ms (0 = within the quota). */
  recordAndGetThrottleTimeMs(value: number, bound: number, nowMs: number): number {
    this.rate.record(value, nowMs);
    const observed = this.rate.measure(nowMs);
    if (observed <= bound) return 0;
    return throttleTimeMs(observed, bound, this.rate.windowSizeMs(nowMs), this.boundedByWindow ? this.config.windowMs : Infinity);
  }
}

