// Builds the hostile viewer for the browser with the library's own browser plugins (rollup.config.ts).
import { rollup } from 'rollup';
import { fileURLToPath } from 'node:url';
import { minifiedBrowserPlugins } from '../../rollup.config.ts';

const ENTRY = fileURLToPath(new URL('../browser/hostile/hostile-viewer-entry.ts', import.meta.url));

/** Write the hostile viewer's script to `file` (an IIFE that defines `window.startHostile`). */
export async function buildHostileViewer(file: string): Promise<void> {
  // The library's plugins minus the slow second minifier.
  const plugins = minifiedBrowserPlugins().filter((plugin) => plugin.name !== 'terser');
  const bundle = await rollup({ input: ENTRY, plugins, onwarn: () => undefined });
  try {
    await bundle.write({ file, format: 'iife' });
  } finally {
    await bundle.close();
  }
}
