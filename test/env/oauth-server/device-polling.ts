// RFC 8628 §3.5 on the server side: a client polling a device code faster than its interval gets `slow_down`, and
// the interval of that code grows by 5 seconds for every later poll. oidc-provider leaves this to the deployment.

/** One poll of a device code as the server answered it (the control API lists them). */
export interface DevicePoll {
  /** Epoch ms. */
  at: number;
  /** `slow_down` when refused here; `forwarded` when oidc-provider answered (pending, denied, expired or tokens). */
  answer: 'slow_down' | 'forwarded';
  /** The interval (seconds) the code had when it was polled. */
  intervalSeconds: number;
}

/** Per device code: the last poll and the interval it must keep. */
export class DevicePolling {
  private readonly codes = new Map<string, { last: number; intervalSeconds: number }>();
  private forcedSlowDowns = 0;
  readonly polls: DevicePoll[] = [];

  /** The next `count` polls answer slow_down whatever their timing. */
  forceSlowDown(count: number): void {
    this.forcedSlowDowns = count;
  }

  /**
   * Records a poll of `deviceCode`.
   * @param intervalSeconds - the interval the code was issued with
   * @returns `slow_down` when the poll came too early (or one was forced), else `forward`
   */
  poll(deviceCode: string, now: number, intervalSeconds: number): 'slow_down' | 'forward' {
    const state = this.codes.get(deviceCode) ?? { last: Number.NEGATIVE_INFINITY, intervalSeconds };
    const early = now - state.last < state.intervalSeconds * 1000;
    const forced = this.forcedSlowDowns > 0;
    if (forced) this.forcedSlowDowns -= 1;
    const polled = state.intervalSeconds;
    state.last = now;
    if (early || forced) state.intervalSeconds += 5;
    this.codes.set(deviceCode, state);
    this.polls.push({ at: now, answer: early || forced ? 'slow_down' : 'forwarded', intervalSeconds: polled });
    return early || forced ? 'slow_down' : 'forward';
  }

  /** Forgets the poll log and any forced slow_down (codes keep their intervals). */
  reset(): void {
    this.polls.length = 0;
    this.forcedSlowDowns = 0;
  }
}
