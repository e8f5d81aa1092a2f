// The demo commands' command lines (dev-server, origin-cli): node's parseArgs with --host and
// --help, whole-number options checked against their range, and a problem as one line.
import { parseArgs } from 'node:util';

/** A whole-number option: its default, the range it must fall in, and what to say otherwise. */
export interface WholeNumberOption {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly problem: string;
}

/** A port: 0 (any free one) to 65535. */
export const portOption = (flag: string, defaultPort: number): WholeNumberOption => ({
  default: defaultPort,
  min: 0,
  max: 65535,
  problem: `${flag} must be a port number (0-65535)`,
});

export type CommandLine<Name extends string> =
  | 'help'
  /** `unparsable`: parseArgs refused the line (an unknown flag, a missing value). */
  | { readonly problem: string; readonly unparsable: boolean }
  | { readonly host: string; readonly numbers: Readonly<Record<Name, number>> };

/**
 * `--host` (default 127.0.0.1), `--help` / `-h`, and one `--name` per entry of `numbers`; the
 * first option out of its range is the problem.
 */
export function parseCommandLine<Name extends string>(
  numbers: Readonly<Record<Name, WholeNumberOption>>,
): CommandLine<Name> {
  const entries = Object.entries(numbers) as [Name, WholeNumberOption][];
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        help: { type: 'boolean', short: 'h', default: false },
        ...Object.fromEntries(
          entries.map(([name, option]) => [name, { type: 'string', default: String(option.default) }]),
        ),
      },
    }));
  } catch (error) {
    return { problem: (error as Error).message, unparsable: true };
  }
  if (values.help) return 'help';
  const parsed = {} as Record<Name, number>;
  for (const [name, option] of entries) {
    const value = Number((values as Record<string, unknown>)[name]);
    if (!Number.isInteger(value) || value < option.min || value > option.max)
      return { problem: option.problem, unparsable: false };
    parsed[name] = value;
  }
  return { host: values.host, numbers: parsed };
}
