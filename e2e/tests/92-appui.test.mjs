// Appui technique d'accueil et tableau de permanence dans le navigateur, sur le département de
// démonstration : le secrétariat demande un appui au clavier, un travailleur social le prend puis le
// clôt, le cadre remplit le tableau de la semaine — axe-core sans violation sur chaque page.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startParcours,
  launchBrowser,
  newContext,
  login,
  logout,
  ensureScreenshotDir,
  SCREENSHOT_DIR,
  assertAxeClean,
} from '../lib/harness.mjs';

let app, browser, context, page;

before(async () => {
  app = await startParcours({ env: { PARCOURS_WORKERS: '0' } });
  browser = await launchBrowser();
  context = await newContext(browser);
  page = await context.newPage();
  await ensureScreenshotDir();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const axeClean = (where) => assertAxeClean(page, where);

describe("appui technique d'accueil", () => {
  test('le secrétariat demande un appui au clavier seul', async () => {
    await login(page, app.url, app.byRole.accueil.email);
    await page.goto(`${app.url}/accueil/appui`);
    await axeClean('/accueil/appui (accueil)');
    const waiting = await page.locator('#en-attente').textContent();
    await page.locator('#motif').focus();
    await page.keyboard.press('a'); // « Accès aux droits complexe »
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space'); // urgent
    await page.keyboard.press('Tab');
    await page.keyboard.type('Dossier CAF bloqué');
    await page.keyboard.press('Enter');
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('.notice').textContent(), /transmise/);
    assert.notEqual(await page.locator('#en-attente').textContent(), waiting);
    const first = page.locator('section[aria-labelledby="en-attente"] tbody tr').first();
    assert.match(await first.textContent(), /Urgent/);
    await axeClean('/accueil/appui (après la demande)');
    // Printed, the queue keeps its tables and drops the request form.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('#demander').isVisible(), false, 'pas de formulaire à l\'impression');
    assert.equal(await first.isVisible(), true, 'la file est imprimée');
    await page.emulateMedia({ media: 'screen' });
    await logout(page);
  });

  test('un travailleur social prend puis clôt une demande', async () => {
    await login(page, app.url, app.byRole.travailleur_social.email);
    await page.goto(`${app.url}/accueil/appui`);
    await axeClean('/accueil/appui (travailleur social)');
    await page.getByRole('button', { name: /^Je prends/ }).first().click();
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('.notice').textContent(), /pris la demande/);
    const form = page.locator('section[aria-labelledby="en-cours"] form').first();
    await form.getByLabel('Suite donnée').selectOption('entretien');
    await form.getByRole('button', { name: /^Clore/ }).click();
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('.notice').textContent(), /close/);
    await axeClean('/accueil/appui (après clôture)');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/accueil-appui.png`, fullPage: true });
    await logout(page);
  });

  test('le cadre remplit le tableau de permanence', async () => {
    await login(page, app.url, app.byRole.cadre.email);
    await page.goto(`${app.url}/accueil/tableau`);
    await axeClean('/accueil/tableau');
    const cell = page.locator('table select').first();
    const options = await cell.locator('option').allTextContents();
    assert.ok(options.length > 1, 'des travailleurs sociaux du site sont proposés');
    await cell.selectOption({ index: options.length - 1 });
    await page.getByRole('button', { name: 'Enregistrer le tableau' }).click();
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('.notice').textContent(), /Tableau de permanence enregistré/);
    await axeClean('/accueil/tableau (enregistré)');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/accueil-tableau.png`, fullPage: true });
    // Printed, the roster shows the names, not the selects of the editing form.
    const choisi = options[options.length - 1].trim();
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/accueil-tableau-impression.png`, fullPage: true });
    const imprime = page.locator('.imprimable-seulement table');
    assert.equal(await imprime.isVisible(), true, 'le tableau est imprimé');
    assert.ok((await imprime.innerText()).includes(choisi), `${choisi} figure au tableau imprimé`);
    assert.equal(await page.locator('table select').first().isVisible(), false, 'pas de listes à l\'impression');
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await imprime.isVisible(), false, 'la copie imprimable est cachée à l\'écran');
  });
});
