import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium to drive: PUPPETEER_EXECUTABLE_PATH, CHROME_PATH, or a system install. */
export function chromiumPath(): string {
  const fromEnv = process.env['PUPPETEER_EXECUTABLE_PATH'] ?? process.env['CHROME_PATH'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error('No Chromium found: install it (apt-get install -y chromium) or set PUPPETEER_EXECUTABLE_PATH');
  }
  return found;
}

// Flags measured to work for several muted viewers in one headless browser on this machine.
const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--autoplay-policy=no-user-gesture-required',
  '--mute-audio',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  // With camera/microphone permission (granted per origin below) this lets ICE use 127.0.0.1.
  '--allow-loopback-in-peer-connection',
];

export interface LaunchedChromium {
  readonly browser: Browser;
  /** Grant what WebRTC needs to gather loopback candidates for pages of this origin. */
  allowWebRtc(origin: string): Promise<void>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedChromium> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'peercdn-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    args: [...FLAGS, `--user-data-dir=${userDataDir}`],
    headless: true,
  });
  return {
    browser,
    // Deprecated for setPermission, but this is the grant measured to let WebRTC gather loopback candidates.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    allowWebRtc: (origin) => browser.defaultBrowserContext().overridePermissions(origin, ['camera', 'microphone']),
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A page in its own window: Chromium pauses media of background tabs, so every viewer of a
 * swarm gets a window of its own and keeps playing.
 */
export function newViewerPage(browser: Browser): Promise<Page> {
  return browser.newPage({ type: 'window', windowBounds: { width: 480, height: 320 } });
}
