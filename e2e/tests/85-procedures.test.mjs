// Procédures et échéancier dans le navigateur : ouverture d'une procédure RSA dans un dossier, étape
// enregistrée au clavier, étape refusée (date dans le futur) avec la saisie conservée, liste des
// échéances de la travailleuse sociale ; pages du cadre et de la direction (retards par MDS et
// secteur, chiffres des procédures avec leurs graphiques) ; information préoccupante reçue par la CRIP
// (informant exigé d'un professionnel) et chiffres de la CRIP — axe-core sans violation sur chaque page.

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

function isoDaysFromNow(days) {
  const d = new Date(Date.now() + days * 86400000);
  return d.toISOString().slice(0, 10);
}

describe('procédures et échéances', () => {
  test('une procédure RSA ouverte dans un dossier et ses échéances légales', async () => {
    await login(page, app.url, app.byRole.travailleur_social.email);
    await page.goto(`${app.url}/personnes?q=Keraudren`);
    await page.click('a:has-text("Créer une nouvelle personne")');
    await page.fill('#nom_naissance', 'Keraudren');
    await page.fill('#prenoms', 'Soizic');
    await page.selectOption('#sexe', '2');
    await page.fill('#date_naissance', '02/02/1988');
    await page.click('button:has-text("Créer la personne")');
    await page.fill('#intitule', 'Insertion professionnelle');
    await page.click('button:has-text("Ouvrir le dossier")');
    assert.match(new URL(page.url()).pathname, /^\/dossiers\/\d+$/);

    await page.click('a:has-text("Ouvrir une procédure")');
    await axeClean('ouvrir une procédure');
    await page.selectOption('#type', 'rsa');
    await page.click('button:has-text("Ouvrir la procédure")');
    assert.match(new URL(page.url()).pathname, /^\/procedures\/\d+$/);
    const procedure = new URL(page.url()).pathname;
    await axeClean('procédure');

    await page.click('a:has-text("Ouverture du droit ou inscription")');
    await page.fill('#date', isoDaysFromNow(-30));
    await page.keyboard.press('Tab');
    await page.click('button:has-text("Enregistrer l\'étape")');
    assert.match(await page.textContent('#echeances ~ div'), /D262-65-2/);
    await axeClean('procédure avec échéance');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/procedure-rsa.png`, fullPage: true });

    // A step dated in the future: refused in French, what was typed kept.
    await page.click('a:has-text("Décision d\'orientation notifiée")');
    await page.fill('#date', isoDaysFromNow(3));
    await page.selectOption('#parcours', 'social');
    await page.fill('#commentaire', 'Entretien d\'orientation à la MDS');
    await page.click('button:has-text("Enregistrer l\'étape")');
    assert.match(await page.textContent('#erreurs'), /futur/);
    assert.equal(await page.inputValue('#commentaire'), 'Entretien d\'orientation à la MDS');
    await axeClean('étape refusée');

    await page.goto(`${app.url}/echeances?horizon=mois`);
    assert.match(await page.textContent('main'), /Insertion professionnelle/);
    await axeClean('mes échéances');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/mes-echeances.png`, fullPage: true });
    await page.goto(`${app.url}${procedure}`);
    await logout(page);
  });

  test('une information préoccupante reçue par la CRIP, et ses chiffres', async () => {
    await login(page, app.url, app.byRole.equipe_centrale.email);
    await page.goto(`${app.url}/personnes?q=Le Floch`);
    await page.click('a:has-text("Créer une nouvelle personne")');
    await page.fill('#nom_naissance', 'Le Floch');
    await page.fill('#prenoms', 'Awen');
    await page.selectOption('#sexe', '2');
    await page.fill('#date_naissance', '14/03/2019');
    await page.click('button:has-text("Créer la personne")');
    await page.fill('#intitule', 'Protection de l\'enfance');
    await page.click('button:has-text("Ouvrir le dossier")');
    await page.click('a:has-text("Ouvrir une procédure")');
    await page.selectOption('#type', 'ip');
    await page.click('button:has-text("Ouvrir la procédure")');
    assert.match(new URL(page.url()).pathname, /^\/procedures\/\d+$/);

    // A school that transmits without being named: refused, what was typed kept.
    await page.click('a:has-text("Réception de l\'information préoccupante")');
    await axeClean('réception d\'une information préoccupante');
    await page.fill('#date', isoDaysFromNow(-2));
    await page.selectOption('#source', 'education');
    await page.selectOption('#danger', 'negligences');
    await page.selectOption('#confidentialite', 'non');
    await page.click('button:has-text("Enregistrer l\'étape")');
    assert.match(await page.textContent('#erreurs'), /L226-5/);
    await axeClean('réception refusée');
    await page.fill('#informant', 'Directrice de l\'école Jean-Macé');
    await page.keyboard.press('Tab');
    await page.click('button:has-text("Enregistrer l\'étape")');
    assert.match(await page.textContent('#echeances ~ div'), /D226-2-4/);
    await axeClean('information préoccupante');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/information-preoccupante.png`, fullPage: true });

    await page.goto(`${app.url}/crip/chiffres`);
    assert.match(await page.textContent('main'), /Définitions/);
    await axeClean('chiffres de la CRIP');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/chiffres-crip.png`, fullPage: true });
    await logout(page);
  });

  test('les retards par MDS et secteur du cadre et de la direction', async () => {
    for (const role of ['cadre', 'direction']) {
      await login(page, app.url, app.byRole[role].email);
      await axeClean(`accueil ${role}`);
      await page.goto(`${app.url}/echeances/retards`);
      await axeClean(`retards ${role}`);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/retards-${role}.png`, fullPage: true });
      await page.goto(`${app.url}/procedures/chiffres`);
      assert.match(await page.textContent('main'), /Définitions/);
      await axeClean(`chiffres des procédures ${role}`);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/chiffres-procedures-${role}.png`, fullPage: true });
      await logout(page);
    }
  });
});
