// Captures d'écran des pages principales dans e2e/screenshots/ (ignoré par
// git), pour un regard humain. Échoue seulement si une page ne s'ouvre pas.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startParcours,
  launchBrowser,
  newContext,
  login,
  crawl,
  ensureScreenshotDir,
  SCREENSHOT_DIR,
  DEMO_PASSWORD,
} from '../lib/harness.mjs';

let app, browser;

before(async () => {
  await ensureScreenshotDir();
  app = await startParcours();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const fileName = (prefix, path) =>
  `${prefix}${path === '/' ? '-accueil' : path.replace(/[/?=&]+/g, '-')}.png`;

async function shoot(page, name) {
  await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
}

test('captures : connexion, 404, pages de l’administrateur, formulaire en erreur', async (t) => {
  const context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const shots = [];
  try {
    await page.goto(`${app.url}/connexion`);
    await shoot(page, 'connexion.png');
    shots.push('connexion.png');
    await page.goto(`${app.url}/page-inexistante`);
    await shoot(page, '404.png');
    shots.push('404.png');

    await login(page, app.url, app.byRole.administrateur.email, DEMO_PASSWORD);
    await crawl(page, app.url, {
      maxDepth: 2,
      visit: async (path) => {
        const name = fileName('admin', path);
        await shoot(page, name);
        shots.push(name);
      },
    });
    await page.goto(`${app.url}/referentiel/territoires/nouveau`);
    const form = page.locator('main form').filter({ has: page.locator('[name="nom"]') }).first();
    await form.evaluate((f) => (f.noValidate = true));
    await form.locator('[name="code"]').fill('CAPTURE');
    await form.locator('button[type="submit"]').last().click();
    await page.locator('.erreur-champ').first().waitFor();
    await shoot(page, 'admin-territoire-erreurs.png');
    shots.push('admin-territoire-erreurs.png');

    // Téléphone : l'accueil en 375 px de large.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${app.url}/`);
    await shoot(page, 'mobile-accueil.png');
    shots.push('mobile-accueil.png');
  } finally {
    await context.close();
  }
  t.diagnostic(`${shots.length} captures dans ${SCREENSHOT_DIR}`);
});

test('captures : accueil de chaque rôle', async () => {
  for (const [role, who] of Object.entries(app.byRole)) {
    const context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      await login(page, app.url, who.email, DEMO_PASSWORD);
      await shoot(page, `role-${role}-accueil.png`);
    } finally {
      await context.close();
    }
  }
});
