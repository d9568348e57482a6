/** How a parked request or upgrade is let go without a child: its bound ran out, or shutdown. */
export type GiveUp = 'restart-timeout' | 'stopping';

interface Parked {
  timer: NodeJS.Timeout;
  /** The active child changed: dispatch again. */
  wake(): void;
  /** Answer it without a child. */
  give(kind: GiveUp): void;
}

/** Requests and upgrades waiting for the live child to change (a restart after a crash), each with its own bound. */
export class ParkingLot {
  private readonly parked = new Set<Parked>();

  /**
   * Keeps a request or upgrade until `wakeAll` (then `wake`), or `ms` passes (then `give`);
   * `gone` registers the listener that forgets it when its client goes away.
   */
  park(
    ms: number,
    wake: () => void,
    give: (kind: GiveUp) => void,
    gone: (listener: () => void) => void,
  ): void {
    const parked: Parked = {
      timer: setTimeout(
        () => {
          this.parked.delete(parked);
          give('restart-timeout');
        },
        Math.max(0, ms),
      ),
      wake,
      give,
    };
    this.parked.add(parked);
    gone(() => this.unpark(parked));
  }

  /** Every parked request or upgrade is dispatched again. */
  wakeAll(): void {
    for (const parked of [...this.parked]) {
      this.unpark(parked);
      parked.wake();
    }
  }

  /** Every parked request or upgrade is answered without a child (shutdown). */
  giveAll(kind: GiveUp): void {
    for (const parked of [...this.parked]) {
      this.unpark(parked);
      parked.give(kind);
    }
  }

  private unpark(parked: Parked): void {
    clearTimeout(parked.timer);
    this.parked.delete(parked);
  }
}
