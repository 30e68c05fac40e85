// Main courante de l'accueil dans le navigateur, sur le département de démonstration : un contact
// ordinaire saisi au clavier seul (les frappes sont comptées), retour à un formulaire vierge avec un
// avis et le contact dans la liste du jour, une saisie à moitié faite qui survit au rechargement de la
// page, un contact invalide refusé avec un message par champ — axe-core sans violation.

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

let keystrokes = 0;
async function press(key) {
  keystrokes += 1;
  await page.keyboard.press(key);
}

const active = () => page.evaluate(() => document.activeElement?.id ?? '');

describe("main courante de l'accueil", () => {
  test('un contact saisi au clavier seul, en quelques frappes', async () => {
    await login(page, app.url, app.byRole.accueil.email);
    await page.goto(`${app.url}/accueil/contacts/nouveau`);
    await axeClean('/accueil/contacts/nouveau');
    // Defaults: a visit, now, the agent's site; the focus is on the request's typology.
    assert.equal(await active(), 'typologie');
    assert.equal(await page.locator('#canal').inputValue(), 'visite');
    assert.match(await page.locator('#date').inputValue(), /^\d\d\/\d\d\/\d{4}$/);
    assert.match(await page.locator('#lieu').inputValue(), /^site-\d+$/);
    const before = await page.locator('table tbody tr').count();

    keystrokes = 0;
    await press('l'); // Logement
    await press('Tab');
    await press('i'); // Information
    await press('Tab');
    await press('5'); // five minutes of waiting
    assert.equal(await page.locator('#typologie').inputValue(), 'logement');
    assert.equal(await page.locator('#reponse').inputValue(), 'information');
    await Promise.all([page.waitForURL(/\/accueil\/contacts\/nouveau/), press('Enter')]);
    await page.waitForSelector('.notice');
    console.log(`# frappes pour un contact ordinaire : ${keystrokes}`);
    assert.ok(keystrokes <= 6, `${keystrokes} frappes`);

    // A blank form again, with the notice and the contact in the day's list below.
    assert.match(await page.locator('.notice').innerText(), /Contact (anonyme|de .+) enregistré à \d+ h \d\d/);
    assert.equal(await page.locator('#typologie').inputValue(), '');
    assert.equal(await page.locator('#attente').inputValue(), '');
    assert.equal(await page.locator('table tbody tr').count(), before + 1);
    assert.match(await page.locator('table tbody tr').first().innerText(), /Logement/);
    await axeClean('/accueil/contacts/nouveau (enregistré)');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/accueil-contact.png`, fullPage: true });
  });

  test('une saisie à moitié faite survit au rechargement', async () => {
    await page.goto(`${app.url}/accueil/contacts/nouveau`);
    await page.focus('#typologie');
    await page.keyboard.press('s'); // Santé
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type('12');
    await page.reload();
    await page.waitForSelector('#typologie');
    assert.equal(await page.locator('#typologie').inputValue(), 'sante');
    assert.equal(await page.locator('#attente').inputValue(), '12');
  });

  test('un contact invalide est refusé avec un message par champ et ce qui a été saisi', async () => {
    await page.goto(`${app.url}/accueil/contacts/nouveau`);
    await page.selectOption('#typologie', '');
    await page.selectOption('#reponse', 'orientation');
    await page.fill('#attente', 'longtemps');
    await page.fill('#partenaire', '');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Enregistrer le contact")')]);
    await page.waitForSelector('.erreurs');
    const text = await page.locator('.erreurs').innerText();
    assert.match(text, /nature de la demande/);
    assert.match(text, /partenaire/);
    assert.match(text, /minutes/);
    assert.equal(await page.locator('#attente').inputValue(), 'longtemps');
    await axeClean('/accueil/contacts/nouveau (erreurs)');
    // The log of the site.
    await page.goto(`${app.url}/accueil/contacts`);
    assert.match(await page.locator('table caption').innerText(), /Contacts du/);
    await axeClean('/accueil/contacts');
  });
});
