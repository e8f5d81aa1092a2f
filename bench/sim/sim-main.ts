// The simulator's process (started by sim-launch.ts): argv = results directory, then the options.
import { parseSimArgs, runSimBenchmark, SIM_HELP } from './sim.ts';

const [resultsDir, ...args] = process.argv.slice(2);
// An option in its place (`node sim-main --help`) once wrote results into a directory named `--help`.
if (resultsDir === undefined || resultsDir.startsWith('-'))
  throw new Error('sim-main: the first argument is the results directory (run it through `npm run bench -- sim`)');
const parsed = parseSimArgs(args);
if (parsed === 'help') console.log(SIM_HELP);
else await runSimBenchmark(parsed.options, parsed.write, resultsDir);
