// Aides financières dans le navigateur : budget du foyer établi au clavier, demande de secours
// d'urgence refusée au-delà du plafond avec la saisie conservée, puis enregistrée et décidée dans la
// délégation de la travailleuse sociale ; file des paiements, registre des cartes (une carte demandée
// pour une assistante familiale puis bloquée), commissions, enveloppes, catalogue et chiffres du
// cadre ; chiffres de la direction — axe-core sans violation sur chaque page.

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

describe('aides financières', () => {
  test('budget, demande, décision dans la délégation', async () => {
    await login(page, app.url, app.byRole.travailleur_social.email);
    await page.goto(`${app.url}/personnes?q=Le%20Goff`);
    await page.click('a:has-text("Créer une nouvelle personne")');
    await page.fill('#nom_naissance', 'Le Goff');
    await page.fill('#prenoms', 'Maëlle');
    await page.selectOption('#sexe', '2');
    await page.fill('#date_naissance', '14/05/1990');
    await page.click('button:has-text("Créer la personne")');
    await page.fill('#intitule', 'Accompagnement budgétaire');
    await page.click('button:has-text("Ouvrir le dossier")');
    const dossier = new URL(page.url()).pathname;
    assert.match(dossier, /^\/dossiers\/\d+$/);

    await page.click('a:has-text("Budget du foyer")');
    await axeClean('budget vide');
    await page.selectOption('#poste_0', 'rsa');
    await page.fill('#montant_0', '600');
    await page.selectOption('#poste_1', 'loyer');
    await page.fill('#montant_1', '450');
    await page.selectOption('#poste_2', 'dette_energie');
    await page.fill('#montant_2', 'douze');
    await page.click('button:has-text("Établir le budget")');
    assert.match(await page.textContent('#erreurs'), /Ligne 3/);
    assert.equal(await page.inputValue('#montant_0'), '600');
    await axeClean('budget refusé');
    await page.fill('#montant_2', '0');
    await page.fill('#encours_2', '320');
    await page.click('button:has-text("Établir le budget")');
    assert.match(await page.textContent('main'), /5,00/);
    await axeClean('budget établi');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/aides-budget.png`, fullPage: true });

    await page.goto(`${app.url}${dossier}`);
    await page.click('a:has-text("Demander une aide financière")');
    await axeClean('choix du fonds');
    await page.selectOption('#fonds', 'secours_urgence');
    await page.click('button:has-text("Continuer")');
    await page.selectOption('#besoin', 'alimentation');
    await page.fill('#montant', '350');
    // No card of hers in the register yet: the form says so, and she is paid by transfer.
    assert.match(await page.textContent('main'), /Aucune carte active/);
    await page.selectOption('#mode', 'virement_personne');
    await page.fill('#iban', 'FR76 3000 6000 0112 3456 7890 189');
    await page.fill('#motif', 'Plus de provisions depuis dix jours');
    await page.check('#piece-identite');
    await page.click('button:has-text("Enregistrer la demande")');
    assert.match(await page.textContent('#erreurs'), /plafond/);
    assert.equal(await page.inputValue('#motif'), 'Plus de provisions depuis dix jours');
    await axeClean('demande refusée');
    await page.fill('#montant', '80');
    await page.click('button:has-text("Enregistrer la demande")');
    assert.match(new URL(page.url()).pathname, /^\/aides\/demandes\/\d+$/);
    await axeClean('demande');
    await page.selectOption('#sens', 'accord');
    await page.click('button:has-text("Enregistrer la décision")');
    assert.match(await page.textContent('main'), /Accord/);
    await axeClean('demande accordée');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/aides-demande.png`, fullPage: true });
    await page.goto(`${app.url}/aides`);
    await axeClean('aides à décider');
    await logout(page, app.url);
  });

  test('les pages du cadre et de la direction', async () => {
    await login(page, app.url, app.byRole.cadre.email);
    for (const path of ['/aides', '/aides/paiements', '/aides/commissions', '/aides/enveloppes', '/aides/catalogue', '/aides/catalogue/fsl_maintien', '/aides/chiffres']) {
      await page.goto(`${app.url}${path}`);
      await axeClean(path);
    }
    await page.goto(`${app.url}/aides/paiements`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/aides-paiements.png`, fullPage: true });

    // The card register: the demo's cards, a card asked for a foster carer, then blocked.
    await page.goto(`${app.url}/aides/cartes`);
    assert.match(await page.textContent('main'), /Nadia BENALI/);
    await axeClean('registre des cartes');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/aides-cartes.png`, fullPage: true });
    await page.click('a:has-text("Demander une carte")');
    await page.selectOption('#titulaire', 'assistant_familial');
    await page.fill('#prenom', 'Gwenaëlle');
    await page.fill('#nom', 'Kerjean');
    await page.click('button:has-text("Demander la carte")');
    assert.match(await page.textContent('#erreurs'), /agrément/);
    assert.equal(await page.inputValue('#nom'), 'Kerjean');
    await axeClean('carte refusée');
    await page.fill('#agrement', 'AF-2022/077');
    await page.click('button:has-text("Demander la carte")');
    assert.match(new URL(page.url()).pathname, /^\/aides\/cartes\/\d+$/);
    assert.match(await page.textContent('main'), /En cours d'émission/);
    await axeClean('carte demandée');
    await page.fill('#motif', "Fin de l'accueil avant l'émission");
    await page.click('button:has-text("Bloquer la carte")');
    assert.match(await page.textContent('main'), /Bloquée/);
    await axeClean('carte bloquée');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/aides-carte.png`, fullPage: true });
    await logout(page, app.url);
    await login(page, app.url, app.byRole.direction.email);
    await page.goto(`${app.url}/aides/chiffres`);
    assert.ok(await page.$('svg#graphe-fonds'));
    await axeClean('chiffres des aides (direction)');
    await logout(page, app.url);
  });

  test('le logo des courriers, refusé puis enregistré', async () => {
    await login(page, app.url, app.byRole.equipe_centrale.email);
    await page.goto(`${app.url}/aides/modele-notification`);
    await page.setInputFiles('#logo-fichier', { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('pas une image') });
    await page.click('button:has-text("Vérifier et enregistrer le logo")');
    assert.match(await page.textContent('#logo-erreur'), /PNG, JPEG ou SVG/);
    await axeClean('logo refusé');
    await page.setInputFiles('#logo-fichier', new URL('../../crates/courrier/tests/logo.png', import.meta.url).pathname);
    await page.click('button:has-text("Vérifier et enregistrer le logo")');
    assert.ok(await page.$('img.logo-courrier'));
    await axeClean('logo enregistré');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/aides-logo.png`, fullPage: false });
    await page.click('button:has-text("Retirer le logo")');
    assert.equal(await page.$('img.logo-courrier'), null);
    await logout(page, app.url);
  });
});
