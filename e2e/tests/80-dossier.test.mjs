// Le dossier unique dans le navigateur : recherche, création d'une personne (après recherche, avec
// l'alerte de doublon probable), fiche, ouverture d'un dossier, écrit refusé sans base légale puis
// enregistré, correction — axe-core sans violation sur chaque page ; pages du cadre (doublons, accès
// motivés, conservation) sans violation non plus.

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

async function createPerson(nom, prenoms, naissance, confirm = false) {
  await page.goto(`${app.url}/personnes?q=${encodeURIComponent(nom)}`);
  await page.click('a:has-text("Créer une nouvelle personne")');
  await page.fill('#nom_naissance', nom);
  await page.fill('#prenoms', prenoms);
  await page.selectOption('#sexe', '2');
  await page.fill('#date_naissance', naissance);
  await page.click('button:has-text("Créer la personne")');
  if (confirm) {
    await page.check('#confirmer');
    await page.click('button:has-text("Créer la personne")');
  }
}

describe('dossier unique', () => {
  test('de la recherche au journal du dossier, au clavier et à la souris', async () => {
    await login(page, app.url, app.byRole.travailleur_social.email);
    await page.goto(`${app.url}/personnes`);
    await axeClean('/personnes');
    await createPerson('Lefèvre', 'Marie-Hélène', '14/03/1992');
    assert.match(new URL(page.url()).pathname, /^\/personnes\/\d+$/);
    const fiche = new URL(page.url()).pathname;
    await axeClean('fiche personne');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/fiche-personne.png`, fullPage: true });

    // A second, near-identical person: stopped with a warning, what was typed kept.
    await createPerson('Lefebvre', 'Marie Hélène', '14/03/1992');
    assert.match(await page.textContent('#erreurs'), /peut-être déjà connue/);
    assert.equal(await page.inputValue('#nom_naissance'), 'Lefebvre');
    await axeClean('alerte de doublon');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/alerte-doublon.png`, fullPage: true });

    await page.goto(`${app.url}${fiche}`);
    await page.fill('#intitule', 'Accompagnement logement');
    await page.click('button:has-text("Ouvrir le dossier")');
    assert.match(new URL(page.url()).pathname, /^\/dossiers\/\d+$/);
    await axeClean('dossier');

    // Shared with the dossier's services without a legal basis: refused, the text kept.
    await page.selectOption('#kind', 'entretien');
    await page.fill('#texte', 'Entretien à la MDS : dette de loyer de deux mois.');
    await page.selectOption('#visibilite', 'dossier');
    await page.click('button:has-text("Enregistrer l\'écrit")');
    assert.match(await page.textContent('#erreurs'), /base légale/);
    assert.equal(await page.inputValue('#texte'), 'Entretien à la MDS : dette de loyer de deux mois.');
    await axeClean('écrit refusé');
    await page.selectOption('#base_legale', 'L121-6-2');
    await page.click('button:has-text("Enregistrer l\'écrit")');
    assert.match(await page.textContent('#journal ~ ol'), /dette de loyer de deux mois/);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dossier-journal.png`, fullPage: true });

    await page.click('a:has-text("Corriger ou voir l\'historique")');
    await axeClean('historique d\'un écrit');
    await page.fill('#texte', 'Entretien à la MDS : dette de loyer de trois mois.');
    await page.fill('#motif', 'Erreur sur le nombre de mois');
    await page.click('button:has-text("Enregistrer la correction")');
    const versions = await page.textContent('main');
    assert.match(versions, /deux mois/);
    assert.match(versions, /trois mois/);
    await logout(page);
  });

  test('les pages du cadre', async () => {
    await login(page, app.url, app.byRole.cadre.email);
    for (const path of ['/doublons', '/doublons/fusions', '/acces-motives', '/rgpd/conservation']) {
      await page.goto(`${app.url}${path}`);
      await axeClean(path);
    }
    await page.click('button:has-text("Lancer une simulation")');
    await axeClean('simulation de conservation');
    await logout(page);
  });
});
