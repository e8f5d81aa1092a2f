// A one-line progress bar on a terminal; on a pipe or file, a line at each quarter instead.

export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const BAR_CELLS = 30;

/** Shows `done` of `total` seconds; `finish()` ends the line. */
export class ProgressBar {
  readonly #out: ProgressOutput;
  readonly #label: string;
  #lastQuarter = -1;
  #finished = false;

  constructor(out: ProgressOutput, label: string) {
    this.#out = out;
    this.#label = label;
  }

  update(doneSeconds: number, totalSeconds: number): void {
    if (this.#finished) return;
    const fraction = totalSeconds > 0 ? Math.min(1, Math.max(0, doneSeconds / totalSeconds)) : 0;
    const percent = Math.floor(fraction * 100);
    if (this.#out.isTTY === true) {
      const cells = Math.round(fraction * BAR_CELLS);
      this.#out.write(
        `\r${this.#label} [${'#'.repeat(cells)}${' '.repeat(BAR_CELLS - cells)}] ${String(percent).padStart(3)}%  ${doneSeconds.toFixed(1)}/${totalSeconds.toFixed(1)} s`,
      );
      return;
    }
    const quarter = Math.floor(fraction * 4);
    if (quarter > this.#lastQuarter) {
      this.#lastQuarter = quarter;
      this.#out.write(`${this.#label}: ${quarter * 25}%\n`);
    }
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#out.isTTY === true) this.#out.write('\n');
  }
}
