// The studio in a real browser (Debian's Chromium through playwright-core): write a brief from a
// template, see it compiled, break a field and see it named, apply a nudge, upload a reference and
// see its blueprint drawn over it. Screenshots go to $PORTRAITIST_SCREENSHOTS (or a temp folder).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium, readFixture } from '../testing/index.js';
import { openLibrary, type Library } from '../studio/index.js';
import { createStudioApi, startServer, type RunningServer, type StudioApi } from './index.js';

const shots = process.env['PORTRAITIST_SCREENSHOTS'] ?? join(tmpdir(), 'portraitist-studio-e2e');
let webRoot: string;
let api: StudioApi;
let library: Library;
let libraryFolder: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  webRoot = await mkdtemp(join(tmpdir(), 'portraitist-web-'));
  await build({
    configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
    logLevel: 'warn',
    build: { outDir: webRoot, emptyOutDir: true },
  });
  await mkdir(shots, { recursive: true });
  libraryFolder = await mkdtemp(join(tmpdir(), 'portraitist-e2e-library-'));
  library = openLibrary({ folder: libraryFolder });
  api = createStudioApi({ blobs: library.blobs, store: library.store });
  server = await startServer({ api, port: 0, webRoot });
  browser = await chromium.launch({
    executablePath: await findChromium(),
    headless: true,
    args: [...chromiumArgs],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 20 * 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await api?.dispose();
  await library?.store.close();
  if (libraryFolder !== undefined) await rm(libraryFolder, { recursive: true, force: true });
  if (webRoot !== undefined) await rm(webRoot, { recursive: true, force: true });
});

describe('the web studio in Chromium', () => {
  it('writes a brief from a template and shows the compiled prompt with its CLIP windows', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=template] option[value="boxer-split-light.yaml"]', {
      state: 'attached',
    });
    // A blank brief names the one field it needs.
    await expect
      .poll(() => page.locator('[data-testid=issues]').textContent(), { timeout: 30_000 })
      .toMatch(/subject\.description/);
    await page.screenshot({ path: join(shots, '0-open.png') });
    await page.selectOption('[data-testid=template]', 'boxer-split-light.yaml');
    const prompt = page.locator('[data-testid=prompt]');
    await expect.poll(() => prompt.textContent(), { timeout: 30_000 }).toMatch(/boxer|split/i);
    await expect.poll(() => page.locator('[data-testid=windows]').count()).toBe(1);
    // The light pillar's picker shows the rig's one-line description.
    await page.getByRole('tab', { name: /Light & camera/ }).click();
    const picker = page.locator('[data-testid="picker-light.rig"]');
    await expect.poll(() => picker.textContent()).toMatch(/Split/);
    await picker.click();
    await expect.poll(() => page.locator('.picker-option').count()).toBeGreaterThan(10);
    await expect
      .poll(() => page.locator('.picker-list').textContent())
      .toMatch(/lit triangle under the eye/i);
    await page.screenshot({ path: join(shots, '1-template-compiled.png') });
    await page.keyboard.press('Escape');
    await page.locator('.brand').click();
    expect(errors).toEqual([]);
  }, 120_000);

  it('names the field of a validation error next to it', async () => {
    const aperture = page.locator('[data-testid="number-camera.aperture"]');
    await aperture.fill('0.1');
    const issue = page.locator('[data-path="camera.aperture"] .field-issue');
    await expect.poll(() => issue.textContent(), { timeout: 30_000 }).toMatch(/f-number/);
    await expect
      .poll(() => page.locator('[data-testid=issues]').textContent())
      .toMatch(/camera\.aperture/);
    await page.screenshot({ path: join(shots, '2-invalid-field.png') });
    await aperture.fill('2');
    await expect
      .poll(() => page.locator('[data-testid=issues]').count(), { timeout: 30_000 })
      .toBe(0);
  }, 120_000);

  it('opens a brief file, naming the line of an issue, and saves the brief as YAML', async () => {
    const bad =
      'version: 1\nsubject:\n  description: a potter at her wheel\nlight:\n  rig: rembrant\n';
    await page.setInputFiles('[data-testid=open-brief]', {
      name: 'potter.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from(bad),
    });
    const issues = page.locator('[data-testid=file-issues]');
    await expect
      .poll(() => issues.textContent(), { timeout: 30_000 })
      .toMatch(/line 5.*light\.rig/);
    await page.setInputFiles('[data-testid=open-brief]', {
      name: 'potter.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from(bad.replace('rembrant', 'Rembrandt')),
    });
    await expect.poll(() => issues.count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.locator('[data-testid=prompt]').textContent()).toMatch(/potter/);
    const download = page.waitForEvent('download');
    await page.getByTestId('save-brief').click();
    const saved = await download;
    const path = await saved.path();
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/rig: rembrandt/);
    expect(text).toMatch(/description: a potter at her wheel/);
  }, 120_000);

  it('applies a lint nudge with its button', async () => {
    await page.selectOption('[data-testid=template]', 'contradictions.yaml');
    const nudges = page.locator('[data-testid=nudges] .nudge');
    await expect.poll(() => nudges.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const before = await nudges.count();
    const first = await nudges.first().textContent();
    await page.screenshot({ path: join(shots, '3-nudges.png') });
    await nudges.first().getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => nudges.count(), { timeout: 30_000 }).toBeLessThan(before);
    expect(await page.locator('[data-testid=nudges]').textContent()).not.toContain(first ?? '');
  }, 120_000);

  it('uploads a reference and draws its blueprint over it as toggles', async () => {
    await page.selectOption('[data-testid=template]', 'pastry-chef-window.yaml');
    const photo = await readFixture('soft-smile');
    await page.setInputFiles('[data-testid=upload]', {
      name: 'soft-smile.png',
      mimeType: 'image/png',
      buffer: Buffer.from(photo),
    });
    const mesh = page.locator('[data-testid=overlay] .ov-mesh circle');
    await expect.poll(() => mesh.count(), { timeout: 120_000 }).toBe(478);
    await expect.poll(() => page.locator('[data-testid=overlay] .ov-light').count()).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid=palette] .swatch').count())
      .toBeGreaterThan(2);
    await page.screenshot({ path: join(shots, '4-reference-overlay.png') });
    await page.getByRole('button', { name: 'Mesh' }).click();
    await expect.poll(() => mesh.count()).toBe(0);
    await page.getByRole('button', { name: 'Mesh' }).click();
    // The server-drawn overlay, every layer, saves as a PNG.
    const download = page.waitForEvent('download');
    await page.getByTestId('save-overlay').click();
    const saved = await (await download).path();
    const { readFile } = await import('node:fs/promises');
    const png = await readFile(saved);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    await writeFile(join(shots, '4b-overlay-download.png'), png);
    await page.getByTestId('brief-from-photo').click();
    // The brief read off the photo replaces the editor's and is compiled for its own target.
    await expect
      .poll(() => page.locator('[data-testid="text-title"]').inputValue(), { timeout: 30_000 })
      .toMatch(/soft-smile/);
    await expect
      .poll(() => page.locator('.status').textContent(), { timeout: 30_000 })
      .toBe('compiled');
    await expect.poll(() => page.locator('.prompt-panel').textContent()).toMatch(/Prompt · sdxl/i);
    await page.screenshot({ path: join(shots, '5-brief-from-photo.png') });
    // A laptop screen: everything still fits beside the photo.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(shots, '6-laptop.png') });
  }, 240_000);

  it('runs the whole flow: template, reference, a local round, compare, pick by key, next round, history', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=template] option[value="pastry-chef-window.yaml"]', {
      state: 'attached',
    });
    // 1. A brief from a template.
    await page.selectOption('[data-testid=template]', 'pastry-chef-window.yaml');
    await expect
      .poll(() => page.locator('[data-testid=prompt]').textContent(), { timeout: 30_000 })
      .toMatch(/pastry|chef/i);
    await page.screenshot({ path: join(shots, 'flow-1-template.png') });
    // 2. A reference with its overlay, added to the brief as the identity.
    await page.setInputFiles('[data-testid=upload]', {
      name: 'soft-smile.png',
      mimeType: 'image/png',
      buffer: Buffer.from(await readFixture('soft-smile')),
    });
    await expect
      .poll(() => page.locator('[data-testid=overlay] .ov-mesh circle').count(), {
        timeout: 120_000,
      })
      .toBe(478);
    await page.getByRole('button', { name: 'Add as reference' }).click();
    await expect
      .poll(() => page.locator('.status').textContent(), { timeout: 30_000 })
      .toBe('compiled');
    await page.screenshot({ path: join(shots, 'flow-2-reference.png') });
    // 3. A round on the local engine, with live progress, two candidates.
    await page.getByTestId('run-round').click();
    await page.waitForSelector('[data-testid=rounds]');
    const cards = page.locator('[data-testid=candidate]');
    await expect.poll(() => cards.count(), { timeout: 600_000, interval: 1000 }).toBe(2);
    await expect
      .poll(() => page.locator('.round-status').first().textContent(), { timeout: 120_000 })
      .toBe('done');
    await expect.poll(() => cards.first().locator('.bar-row').count()).toBe(5);
    // Both pictures are in before the screenshot.
    await expect
      .poll(
        () =>
          page
            .locator('[data-testid=candidate] img.card-img')
            .evaluateAll(
              (list) =>
                list.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0)
                  .length,
            ),
        { timeout: 60_000 },
      )
      .toBe(2);
    await page.screenshot({ path: join(shots, 'flow-3-round.png') });
    // 4. Compare the two beside the reference; zoom in one pane and every pane follows.
    await page.locator('[data-testid=mark]').nth(0).click();
    await page.locator('[data-testid=mark]').nth(1).click();
    await page.getByTestId('compare-button').click();
    const panes = page.locator('[data-testid=compare-pane]');
    await expect.poll(() => panes.count()).toBe(3);
    await panes.nth(1).locator('.compare-viewport').hover();
    await page.mouse.wheel(0, -300);
    const transforms = page.locator('[data-testid=compare-transform]');
    await expect
      .poll(() => transforms.nth(0).evaluate((e) => e.getAttribute('style') ?? ''))
      .toMatch(/scale\(1\.[1-9]/);
    const all = await transforms.evaluateAll((list) =>
      list.map((e) => e.getAttribute('style') ?? ''),
    );
    expect(new Set(all).size).toBe(1);
    await page.screenshot({ path: join(shots, 'flow-4-compare.png') });
    // 4b. The same two in an A/B slider: laid over each other in one box, a divider dragged.
    await page.getByTestId('ab-button').click();
    const ab = page.getByTestId('ab-slider');
    await expect
      .poll(
        () =>
          ab
            .locator('img.ab-img')
            .evaluateAll(
              (list) =>
                list.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0)
                  .length,
            ),
        { timeout: 30_000 },
      )
      .toBe(2);
    const rects = await ab
      .locator('img.ab-img')
      .evaluateAll((list) => list.map((i) => JSON.stringify(i.getBoundingClientRect())));
    expect(new Set(rects).size).toBe(1);
    const box = await ab.boundingBox();
    if (box === null) throw new Error('the A/B slider has no box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 4, box.y + box.height / 2, { steps: 6 });
    await page.mouse.up();
    const divider = page.getByTestId('ab-divider');
    await expect.poll(async () => Number(await divider.getAttribute('aria-valuenow'))).toBe(25);
    expect(await page.getByTestId('ab-b').evaluate((e) => e.style.clipPath)).toMatch(
      /inset\(0(px)? 0(px)? 0(px)? 25%\)/,
    );
    await divider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await expect.poll(async () => Number(await divider.getAttribute('aria-valuenow'))).toBe(35);
    await page.screenshot({ path: join(shots, 'flow-4b-ab-slider.png') });
    await page.getByRole('button', { name: 'Back to grid' }).click();
    // 5. Pick the second by keyboard (→, P, 4 stars), as in Lightroom.
    await cards.first().click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('p');
    await page.keyboard.press('4');
    await expect.poll(() => cards.nth(1).locator('.badge-pick').count()).toBe(1);
    await expect.poll(() => cards.nth(1).locator('.badge-stars').textContent()).toBe('★★★★');
    const sessions = await library.store.listSessions();
    const detail = await library.store.getSession(sessions[0]?.id ?? '');
    expect(detail?.candidates[1]?.pick).toMatchObject({ verdict: 'pick', stars: 4 });
    await page.screenshot({ path: join(shots, 'flow-5-picked.png') });
    // 6. The next round, after editing the brief (a new brief version).
    await page.getByTestId('view-brief').click();
    await page.locator('[data-testid="text-title"]').fill('Pastry chef, second look');
    await expect
      .poll(() => page.locator('.status').textContent(), { timeout: 30_000 })
      .toBe('compiled');
    await page.getByTestId('run-round').click();
    await expect
      .poll(() => page.locator('[data-testid=round-item]').count(), { timeout: 30_000 })
      .toBe(2);
    await expect.poll(() => cards.count(), { timeout: 600_000, interval: 1000 }).toBe(2);
    await expect
      .poll(() => page.locator('.round-status').nth(1).textContent(), { timeout: 120_000 })
      .toBe('done');
    // Both pictures are in before the screenshot.
    await expect
      .poll(
        () =>
          page
            .locator('[data-testid=candidate] img.card-img')
            .evaluateAll(
              (list) =>
                list.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0)
                  .length,
            ),
        { timeout: 60_000 },
      )
      .toBe(2);
    await page.screenshot({ path: join(shots, 'flow-6-next-round.png') });
    // 7. The session in history, with the brief diff, and found by score.
    await page.getByTestId('view-history').click();
    const item = page.locator('[data-testid=session-item]').first();
    await expect
      .poll(() => item.textContent(), { timeout: 30_000 })
      .toMatch(/Pastry chef, second look|pastry/i);
    await item.click();
    await expect
      .poll(() => page.locator('[data-testid=diff]').textContent(), { timeout: 30_000 })
      .toMatch(/title/);
    await page.locator('[data-testid=search-min]').fill('0');
    await page.getByTestId('search-go').click();
    await expect
      .poll(() => page.locator('[data-testid=search-results] img').count(), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: join(shots, 'flow-7-history.png') });
    expect(errors).toEqual([]);
  }, 1_500_000);

  it('develops a reference and a candidate in the darkroom: live preview, before, A/B, reset, export', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.getByTestId('view-darkroom').click();
    const sources = page.locator('[data-testid=dr-source]');
    // The brief's reference and the session's candidates (two rounds of two).
    await expect.poll(() => sources.count(), { timeout: 30_000 }).toBe(5);
    await sources.first().click();
    const preview = page.getByTestId('dr-preview');
    const status = page.getByTestId('dr-status');
    await expect
      .poll(() => status.textContent(), { timeout: 180_000 })
      .toMatch(/preview in \d+ ms/);
    const plain = await preview.getAttribute('src');
    // Relight (split from the right, harder), a smile lift, a lens and a cool grade.
    await page.selectOption('[data-testid=dr-rig]', 'split');
    await page.getByTestId('dr-side-right').click();
    await page.locator('[data-testid=dr-intensity] input').fill('1');
    await page.locator('[data-testid=dr-fill] input').fill('8');
    await page.locator('[data-testid=dr-smile] input').fill('0.5');
    await page.locator('[data-testid=dr-aperture] input').fill('3');
    await page.locator('[data-testid=dr-temperature] input').fill('4000');
    // Quick changes: the last one wins.
    for (const value of ['0.1', '-0.2', '0.3'])
      await page.locator('[data-testid=dr-contrast] input').fill(value);
    await expect.poll(() => page.getByTestId('dr-smile-value').textContent()).toBe('+0.50 lift');
    await expect.poll(() => page.getByTestId('dr-fill-value').textContent()).toBe('8:1');
    await expect.poll(() => page.getByTestId('dr-aperture-value').textContent()).toBe('f/1.8');
    await expect.poll(() => page.getByTestId('dr-contrast-value').textContent()).toBe('+0.30');
    await expect.poll(() => preview.getAttribute('src'), { timeout: 60_000 }).not.toBe(plain);
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/preview in \d+ ms/);
    // The picture shown is the server's render of the sliders as they stand now.
    const stage = page.getByTestId('dr-stage');
    const settings = JSON.parse((await stage.getAttribute('data-settings')) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({
      key: { rig: 'split', side: 'right', intensity: 1, fill: 8 },
      smile: 0.5,
      aperture: 1.8,
      grade: { temperature: 4000, contrast: 0.3 },
    });
    const blob = (await stage.getAttribute('data-blob')) ?? '';
    const maxSize = Number(await stage.getAttribute('data-size'));
    // The page's CSP keeps fetch off blob: URLs, so the shown picture is read through a canvas and
    // set against a fresh render decoded by the same browser.
    const shownIsFresh = () =>
      preview.evaluate(
        async (shown, input) => {
          const image = shown as unknown as {
            complete: boolean;
            naturalWidth: number;
            naturalHeight: number;
          };
          if (!image.complete || image.naturalWidth === 0) return false;
          // The browser's own canvas API (this file is typed without the DOM library).
          const dom = globalThis as unknown as {
            createImageBitmap(blob: Blob): Promise<{ width: number; height: number }>;
            OffscreenCanvas: new (
              width: number,
              height: number,
            ) => {
              getContext(kind: '2d'): {
                drawImage(source: unknown, x: number, y: number): void;
                getImageData(
                  x: number,
                  y: number,
                  w: number,
                  h: number,
                ): { data: Uint8ClampedArray };
              } | null;
            };
          };
          const fresh = await fetch('/api/darkroom/preview', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(input),
          });
          const bitmap = await dom.createImageBitmap(await fresh.blob());
          const { naturalWidth: width, naturalHeight: height } = image;
          if (bitmap.width !== width || bitmap.height !== height) return false;
          const pixels = (source: unknown) => {
            const canvas = new dom.OffscreenCanvas(width, height);
            const context = canvas.getContext('2d');
            context?.drawImage(source, 0, 0);
            return context?.getImageData(0, 0, width, height).data ?? new Uint8ClampedArray();
          };
          const [a, b] = [pixels(shown), pixels(bitmap)];
          return a.length > 0 && a.every((v, i) => v === b[i]);
        },
        { blob, settings, maxSize },
      );
    await expect.poll(shownIsFresh, { timeout: 60_000 }).toBe(true);
    await page.screenshot({ path: join(shots, 'darkroom-1-developed.png') });
    // Hold \ to see the photo before; let go and the develop is back.
    await page.keyboard.down('\\');
    await expect.poll(() => page.getByTestId('dr-before-image').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'darkroom-2-before.png') });
    await page.keyboard.up('\\');
    await expect.poll(() => page.getByTestId('dr-preview').count()).toBe(1);
    // Y: before and after in one box, split by a divider.
    await page.keyboard.press('y');
    await expect.poll(() => page.getByTestId('dr-ab').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'darkroom-3-before-after.png') });
    await page.keyboard.press('y');
    // Reset one panel: the others keep their values.
    await page.getByTestId('dr-reset-expression').click();
    await expect.poll(() => page.getByTestId('dr-smile-value').textContent()).toBe('0');
    await expect.poll(() => page.getByTestId('dr-fill-value').textContent()).toBe('8:1');
    // Export at full resolution, into the library and as a download.
    const download = page.waitForEvent('download', { timeout: 180_000 });
    await page.getByTestId('dr-export').click();
    const saved = await (await download).path();
    const { readFile } = await import('node:fs/promises');
    const png = await readFile(saved);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    await expect
      .poll(() => page.getByTestId('dr-exported').textContent(), { timeout: 60_000 })
      .toMatch(/Exported \d+×\d+ PNG/);
    // A candidate opens with every slider back at zero.
    await sources.nth(1).click();
    await expect.poll(() => page.getByTestId('dr-fill-value').textContent()).toBe("rig's");
    await expect
      .poll(() => status.textContent(), { timeout: 180_000 })
      .toMatch(/preview in \d+ ms/);
    await page.screenshot({ path: join(shots, 'darkroom-4-candidate.png') });
    expect(errors).toEqual([]);
  }, 600_000);

  it('resumes a round a stopped server left running, from the rounds view', async () => {
    // What a server killed after storing and scoring a round's only candidate leaves behind.
    const [latest] = await library.store.listSessions();
    const detail = await library.store.getSession(latest?.id ?? '');
    const last = detail?.candidates.at(-1);
    if (detail === undefined || last === undefined) throw new Error('the flow left no session');
    const round = await library.store.startRound(detail.id, {
      briefVersion: detail.latestBriefVersion,
      engine: 'local',
      count: 1,
      seed: 99,
      nudges: [],
    });
    await library.store.addCandidate(round.id, {
      index: 0,
      engine: 'local',
      seed: 99,
      parameters: {},
      provenance: {},
      image: last.image,
      scorecard: last.scorecard,
      scores: last.scores,
    });
    await page.getByTestId('view-rounds').click();
    const banner = page.getByTestId('interrupted');
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toMatch(/interrupted/);
    await expect.poll(() => page.locator('.round-status').nth(2).textContent()).toBe('interrupted');
    await page.screenshot({ path: join(shots, 'resume-1-interrupted.png') });
    await page.getByTestId('resume-round').click();
    await expect
      .poll(() => page.locator('.round-status').nth(2).textContent(), { timeout: 120_000 })
      .toBe('done');
    expect(await banner.count()).toBe(0);
    expect((await library.store.getRound(round.id))?.status).toBe('done');
    await page.screenshot({ path: join(shots, 'resume-2-done.png') });
  }, 240_000);

  it('works with a token: the page sends it from the address fragment, never in a cookie', async () => {
    const guarded = await startServer({ api, port: 0, webRoot, token: 'tok-e2e' });
    const context = await browser.newContext();
    try {
      const tokenPage = await context.newPage();
      await tokenPage.goto(guarded.url);
      expect(guarded.url).toMatch(/#token=tok-e2e$/);
      await tokenPage.waitForSelector('[data-testid=template] option[value="minimal.yaml"]', {
        state: 'attached',
      });
      expect(await context.cookies()).toEqual([]);
      const denied = await tokenPage.evaluate(async () => (await fetch('/api/health')).status);
      expect(denied).toBe(401);
    } finally {
      await context.close();
      await guarded.close();
    }
  }, 120_000);
});
