// Groupe projet tiré au sort, dans le navigateur : création, import des volontaires, clôture et
// calcul des chances par le serveur (tâche de fond), publication (tableau et graphique SVG), tirage,
// vérification — axe-core sans violation sur chaque page du parcours.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startParcours,
  launchBrowser,
  newContext,
  login,
  ensureScreenshotDir,
  SCREENSHOT_DIR,
  assertAxeClean,
} from '../lib/harness.mjs';

let app, browser, context, page;

before(async () => {
  // No job worker in the server: the test runs the computation itself, without waiting on a timer.
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

const QUOTAS = 'feature,value,min,max\nservice,SERVICE_SOCIAL,2,4\nservice,ASE,1,3\nservice,PMI,1,2\nterritoire,urbain,3,5\nterritoire,rural,3,5\n';

function volontaires() {
  const services = ['SERVICE_SOCIAL', 'ASE', 'PMI'];
  const territoires = ['urbain', 'rural'];
  let csv = 'id,service,territoire\n';
  for (let i = 1; i <= 14; i += 1) csv += `V${String(i).padStart(3, '0')},${services[i % 3]},${territoires[(i * 7) % 2]}\n`;
  return csv;
}

const axeClean = (where) => assertAxeClean(page, where);

describe('groupe projet tiré au sort', () => {
  test('de la création à la vérification du tirage', async () => {
    await login(page, app.url, app.byRole.cadre.email);
    await page.goto(`${app.url}/groupes-projet/nouveau`);
    await axeClean('/groupes-projet/nouveau');
    await page.fill('#nom', 'Groupe projet accueil');
    await page.fill('#taille', '8');
    await page.fill('#quotas', QUOTAS);
    await page.click('button:has-text("Créer le groupe")');
    const groupe = new URL(page.url()).pathname;
    assert.match(groupe, /^\/groupes-projet\/\d+$/);
    await page.fill('#volontaires', volontaires());
    await page.click('button:has-text("Importer")');
    await axeClean(`${groupe} (inscriptions)`);
    await page.fill('#source_graine', 'les cinq numéros du tirage public du 15 décembre 2026');
    await page.click('button:has-text("Clore et calculer")');
    assert.equal(await page.locator('h2', { hasText: 'Calcul des chances en cours' }).count(), 1);
    await axeClean(`${groupe} (calcul en cours)`);
    await app.runJobs();
    await page.goto(`${app.url}${groupe}`);
    assert.equal(await page.locator('h2', { hasText: 'Chances publiées' }).count(), 1, 'les chances sont publiées');
    assert.equal(await page.locator('svg[role="img"] rect').count(), 14, 'une barre par volontaire');
    await axeClean(`${groupe} (chances publiées)`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/groupe-projet-chances.png`, fullPage: true });
    await page.fill('#graine', '7 19 23 38 44');
    await page.click('button:has-text("Tirer au sort")');
    assert.equal(await page.locator('h2', { hasText: 'Membres tirés au sort' }).count(), 1);
    await axeClean(`${groupe} (tiré)`);
    await page.click('a:has-text("Vérifier le tirage")');
    assert.match(await page.locator('[role="status"]').innerText(), /Tirage confirmé/);
    await axeClean(`${groupe}/verification`);
    await page.goto(`${app.url}/groupes-projet`);
    await axeClean('/groupes-projet');
  });
});
