// The simulator's process (started by sim-launch.ts): argv = results directory, then the options.
import { parseSimArgs, runSimBenchmark, SIM_HELP } from './sim.ts';

const [resultsDir, ...args] = process.argv.slice(2);
if (resultsDir === undefined) throw new Error('sim-main: the results directory is missing');
const parsed = parseSimArgs(args);
if (parsed === 'help') console.log(SIM_HELP);
else await runSimBenchmark(parsed.options, parsed.write, resultsDir);
