// An async job that runs one at a time: asked for while it runs, it runs once more after, however
// often it was asked (re-adding a node's peers to Redis: a second loss during one re-add needs one more).
export class CoalescedRun {
  readonly #job: () => Promise<void>;
  #running = false;
  #again = false;

  /** `job` must not reject. */
  constructor(job: () => Promise<void>) {
    this.#job = job;
  }

  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#job().finally(() => {
      this.#running = false;
      if (!this.#again) return;
      this.#again = false;
      this.request();
    });
  }
}
