import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../lib/logger.js';
import { periodStart } from '../../lib/stats/periods.js';
import type { RecordSource } from '../../lib/store/record.js';
import { startDevStack, type DevStack } from '../../scripts/dev-stack.js';
import { makePng } from '../e2e/sim-support/images.js';
import { tempDir } from '../support/temp-dir.js';
import { fingerprintOf, storedUpload, uploadRecord } from '../support/upload-records.js';

/**
 * The upload page as a user meets it, in Debian's headless Chromium driven by playwright-core: sign
 * in as a development user, pick a file, watch it go straight to the simulator with a progress bar,
 * and see the receiver's record appear. `npx playwright install` cannot download browsers here, so
 * the test uses /usr/bin/chromium (apt package `chromium`) and skips, saying so, when it is absent —
 * except in CI, which installs it (.ci/run), so a missing install fails instead of passing quietly.
 */
const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM) || process.env.CI === 'true';
export const SCREENSHOT = fileURLToPath(new URL('./__screenshots__/upload-page.png', import.meta.url));
const PHONE_SCREENSHOT = fileURLToPath(new URL('./__screenshots__/records-page-phone.png', import.meta.url));
const CREDENTIALS = { accessKeyId: 'browser-id', accessKeySecret: 'browser-secret' };
const quiet: Logger = { log() {} };

describe.skipIf(!HAVE_CHROMIUM)(`the upload page in headless Chromium${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`}`, () => {
  let stack: DevStack;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const dir = tempDir('oss-browser-');
    stack = await startDevStack({
      // The simulator checks the V4 signature of every form the page posts.
      sim: { dataDir: join(dir, 'oss'), bucket: 'browser-bucket', port: 0, trustedKeysOut: join(dir, 'trusted-keys.json'), credentials: CREDENTIALS },
      receiverPort: 0,
      env: { UPLOAD_STORE: `sqlite:${join(dir, 'uploads.db')}`, OSS_CALLBACK_REQUIRE_TICKET: 'true' },
      simLogger: quiet,
      logger: quiet,
    });
    profile = mkdtempSync(join(tmpdir(), 'oss-chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await stack?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /**
   * Earlier uploads of the last day, at the start of each of the 22 hours before this one, so a new
   * hour starting during the test leaves them all in the window: callbacks every hour, and two hours
   * whose callbacks failed, recovered from OSS events and by reconcile.
   */
  const seeded: Record<RecordSource, number> = { callback: 0, event: 0, reconcile: 0 };
  beforeAll(async () => {
    const thisHour = periodStart(new Date(), 'hour').getTime();
    let n = 0;
    for (let hoursAgo = 1; hoursAgo <= 22; hoursAgo++) {
      const receivedAt = new Date(thisHour - hoursAgo * 3_600_000).toISOString();
      const sources: RecordSource[] = [...Array<RecordSource>(1 + (hoursAgo % 4)).fill('callback'), ...(hoursAgo === 5 || hoursAgo === 6 ? (['event', 'event', 'event', 'reconcile'] as const) : [])];
      for (const source of sources) {
        const id = `seeded-${++n}`;
        await stack.receiver.store.create(storedUpload(uploadRecord({ id, source, receivedAt, bucket: 'browser-bucket', vars: {}, uploader: null }), fingerprintOf(id)));
        seeded[source]++;
      }
    }
  });

  it('signs in, uploads a file straight to OSS with progress, and lists the recorded upload', async () => {
    await page.goto(stack.pageUrl);
    await expect.poll(() => page.textContent('#status')).toBe('Sign in to upload.');
    expect(await page.isDisabled('#file')).toBe(true);

    await page.fill('#user', 'alice');
    await page.click('#sign-in-form button[type=submit]');
    expect(await page.textContent('#who')).toBe('alice');

    const png = makePng(640, 480);
    await page.setInputFiles('#file', { name: 'sunset.png', mimeType: 'image/png', buffer: png });
    await page.click('#upload-button');

    // The status settles once it has a kind (ok or error); until then it reports progress.
    await page.waitForSelector('#status[data-kind="ok"], #status[data-kind="error"]', { timeout: 15_000 });
    const status = await page.textContent('#status');
    expect(status).toMatch(new RegExp(`^Recorded uploads/alice/[0-9a-f-]{36}/sunset\\.png \\(${png.length} bytes\\) for alice\\.$`));
    expect(await page.getAttribute('#status', 'data-kind')).toBe('ok');
    expect(await page.evaluate("document.querySelector('#progress').value")).toBe(100);

    await page.locator('#record-rows tr td', { hasText: 'sunset.png' }).first().waitFor();
    const cells = await page.locator('#record-rows tr').first().locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual([expect.stringMatching(/^uploads\/alice\/.+\/sunset\.png$/), `${png.length.toLocaleString('en')} B`, 'image/png']);

    const [record] = await stack.receiver.store.list({ uploader: 'alice' });
    expect(record).toMatchObject({ bucket: 'browser-bucket', size: png.length, image: { width: 640, height: 480, format: 'png' }, uploader: 'alice', vars: {} });

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  /** The uploads each source's bars stand for: the bars' heights added up (run in the page, which has the DOM). */
  const drawn = () =>
    page.evaluate(`(() => {
      const sum = { callback: 0, event: 0, reconcile: 0 };
      for (const rect of document.querySelectorAll('#chart rect[data-source]')) sum[rect.dataset.source] += Number(rect.getAttribute('height'));
      return { ...sum, hours: document.querySelectorAll('#chart rect.hour').length };
    })()`);

  it('draws every upload of the last day per hour by source above the list, with the coverage', async () => {
    const callbacks = seeded.callback + 1; // and the upload just made
    const total = callbacks + seeded.event + seeded.reconcile;
    const coverage = (Math.floor((Math.round((callbacks / total) * 10_000) / 10_000) * 1000) / 10).toFixed(1);
    await expect.poll(() => page.textContent('#coverage')).toBe(
      `Callback coverage ${coverage}% · ${total} uploads in the last 24 hours: ${callbacks} by callback, ${seeded.event} from OSS events, ${seeded.reconcile} by reconcile`,
    );
    expect(await drawn()).toEqual({ callback: callbacks, event: seeded.event, reconcile: seeded.reconcile, hours: 24 });
    // The chart stands above the list.
    const [chart, list] = await Promise.all([page.locator('#chart').boundingBox(), page.locator('table').boundingBox()]);
    expect(chart!.y + chart!.height).toBeLessThan(list!.y);
    expect(await page.locator('#chart-times span').count()).toBe(4);

    await page.click('.window button[data-window="week"]');
    await expect.poll(() => page.textContent('#coverage')).toContain(`${total} uploads in the last 7 days`);
    expect(await drawn()).toMatchObject({ hours: 168, callback: callbacks });
    expect(await page.getAttribute('.window button[data-window="week"]', 'aria-pressed')).toBe('true');
    await page.click('.window button[data-window="day"]');
    await expect.poll(() => page.textContent('#coverage')).toContain('in the last 24 hours');
    expect(consoleErrors).toEqual([]);
  });

  it('fits a phone: nothing wider than the screen, the chart as wide as its box', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.reload();
      await expect.poll(() => page.textContent('#coverage')).toMatch(/^Callback coverage /);
      const widths = (await page.evaluate(
        "({ page: document.documentElement.scrollWidth, screen: window.innerWidth, chart: document.querySelector('#chart').getBoundingClientRect().width })",
      )) as { page: number; screen: number; chart: number };
      expect(widths.page).toBeLessThanOrEqual(widths.screen);
      expect(widths.chart).toBeGreaterThan(300);
      await page.screenshot({ path: PHONE_SCREENSHOT, fullPage: true });
      expect(consoleErrors).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1100, height: 900 });
    }
  });

  it('shows another user none of alice\'s uploads', async () => {
    await page.click('#sign-out');
    await page.fill('#user', 'bob');
    await page.click('#sign-in-form button[type=submit]');
    await expect.poll(() => page.textContent('#record-rows')).toBe('Nothing yet.');
  });
});
