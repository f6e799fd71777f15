// Events the scheduler sends in bulk (one Scheduled per pod) go out a few at a
// time behind the bindings, and beyond a backlog they are dropped, as upstream's
// event broadcaster drops when its queue is full: events are best effort, and
// in a burst the API's capacity belongs to the bindings.
export class EventPacer {
  private readonly pending: Array<() => Promise<void>> = [];
  private inFlight = 0;
  dropped = 0;

  constructor(
    private readonly concurrency = 4,
    private readonly maxPending = 1000,
  ) {}

  add(send: () => Promise<void>): void {
    if (this.pending.length >= this.maxPending) {
      this.dropped++;
      return;
    }
    this.pending.push(send);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.pending.length) {
      const send = this.pending.shift()!;
      this.inFlight++;
      void send().finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}
