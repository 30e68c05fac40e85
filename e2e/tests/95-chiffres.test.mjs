// Chiffres de l'accueil dans le navigateur, sur le département de démonstration (une année de contacts
// et de rendez-vous) : la page d'un cadre (sa MDS) et celle de l'équipe centrale (toutes les MDS), les
// deux graphiques SVG accessibles avec leurs tableaux, le filtre par MDS et par période, les
// téléchargements CSV et XLSX — axe-core sans violation, captures d'écran.

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
  context = await newContext(browser, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  await ensureScreenshotDir();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const axeClean = (where) => assertAxeClean(page, where);

/** The number shown on a key-figure card. */
async function carte(label) {
  const text = await page.locator('.carte', { hasText: label }).locator('.chiffre').innerText();
  return Number(text.replace(/\s/g, '').replace(',', '.').replace('%', ''));
}

describe("chiffres de l'accueil", () => {
  test("l'équipe centrale voit toutes les MDS, graphiques et tableaux", async () => {
    await login(page, app.url, app.byRole.equipe_centrale.email);
    await page.goto(`${app.url}/`);
    await page.locator('nav a', { hasText: "Chiffres de l'accueil" }).click();
    await page.waitForURL(/\/accueil\/chiffres$/);
    await axeClean('/accueil/chiffres');
    // Two charts, each an image with a title and a description, followed by its table.
    const charts = page.locator('svg[role="img"]');
    assert.equal(await charts.count(), 2);
    assert.match(await page.locator('#graphe-contacts title').first().textContent(), /par nature de la demande/);
    assert.ok((await page.locator('#graphe-contacts rect').count()) > 50, 'des barres empilées');
    assert.ok((await page.locator('#graphe-absences rect').count()) >= 10, 'une barre par mois');
    // Twelve months and the total in the table of typologies; nine MDS in the table per MDS.
    assert.equal(await page.locator('#tableau-typologies tbody tr').count(), 13);
    assert.equal(await page.locator('#tableau-par-mds tbody tr').count(), 10);
    const contacts = await carte('Contacts à');
    assert.ok(contacts > 1000, `${contacts} contacts`);
    const guichet = await carte('Répondus au guichet');
    assert.ok(guichet > 20 && guichet < 90, `${guichet} % au guichet`);
    const absence = await carte("Taux d'absence");
    assert.ok(absence > 1 && absence < 30, `${absence} % d'absence`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/chiffres-accueil.png`, fullPage: true });
    await page.locator('#graphe-contacts').screenshot({ path: `${SCREENSHOT_DIR}/chiffres-graphe.png` });

    // The exports of what is shown.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('button', { hasText: 'Télécharger en CSV' }).click(),
    ]);
    assert.match(csv.suggestedFilename(), /^chiffres-accueil-\d{4}-\d\d-\d{4}-\d\d\.csv$/);
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('button', { hasText: 'Télécharger en XLSX' }).click(),
    ]);
    assert.match(xlsx.suggestedFilename(), /\.xlsx$/);

    // One MDS over three months.
    const option = page.locator('#mds option').nth(1);
    const mds = await option.getAttribute('value');
    const nom = await option.innerText();
    await page.selectOption('#mds', mds);
    const [y, m] = (await page.locator('#au').inputValue()).split('-').map(Number);
    const d = new Date(Date.UTC(y, m - 3, 1));
    await page.fill('#du', `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
    await Promise.all([page.waitForURL(/mds=/), page.locator('button', { hasText: 'Afficher' }).click()]);
    assert.match(await page.locator('main h2').first().innerText(), new RegExp(nom.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(await page.locator('#tableau-typologies tbody tr').count(), 4);
    await axeClean('/accueil/chiffres (une MDS, trois mois)');
    await logout(page);
  });

  test('un cadre ne voit que sa MDS', async () => {
    await login(page, app.url, app.byRole.cadre.email);
    await page.goto(`${app.url}/accueil/chiffres`);
    await axeClean('/accueil/chiffres (cadre)');
    assert.equal(await page.locator('#tableau-par-mds tbody tr').count(), 2, 'sa MDS et l’ensemble');
    assert.ok((await carte('Contacts à')) > 100);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/chiffres-accueil-cadre.png`, fullPage: true });
    await logout(page);
  });
});
