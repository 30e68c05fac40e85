// Agendas et rendez-vous dans le navigateur, sur le département de démonstration : premier créneau
// libre d'un secteur, réservation au clavier pour une personne, double réservation refusée avec un
// message, semaine imprimable de l'agent, liste, liste d'attente, actions collectives, salles —
// axe-core sans violation sur chaque page.

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

/** Chooses the first real option of a select with the keyboard (arrow down on the focused list). */
async function chooseFirst(selector) {
  await page.focus(selector);
  await page.keyboard.press('ArrowDown');
  if ((await page.locator(selector).inputValue()) === '') {
    const value = await page.locator(`${selector} option:nth-child(2)`).getAttribute('value');
    await page.selectOption(selector, value);
  }
}

/** Searches a demo person by name in the picker, with the keyboard, and ticks the first result. */
async function pickPerson(name) {
  await page.focus('#q');
  await page.keyboard.type(name);
  await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
  await page.waitForSelector('input[name="personne_id"]');
  await page.focus('input[name="personne_id"]');
  await page.keyboard.press('Space');
  assert.equal(await page.locator('input[name="personne_id"]:checked').count(), 1, 'une personne est choisie');
}

describe('agendas et rendez-vous', () => {
  test('réservation au clavier, double réservation refusée, pages accessibles', async () => {
    await login(page, app.url, app.byRole.accueil.email);
    await page.goto(`${app.url}/agenda`);
    await axeClean('/agenda');

    // First free slot of a secteur, chosen with the keyboard.
    await chooseFirst('#secteur_id');
    await chooseFirst('#type');
    assert.notEqual(await page.locator('#secteur_id').inputValue(), '', 'un secteur est choisi');
    await page.focus('button:has-text("Chercher le premier créneau")');
    await Promise.all([page.waitForURL(/secteur_id=/), page.keyboard.press('Enter')]);
    await page.waitForSelector('table caption:has-text("Premiers créneaux libres")');
    await axeClean('/agenda (créneaux)');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/agenda-creneaux.png`, fullPage: true });
    const reserver = page.locator('a:has-text("Réserver")').first();
    const slot = await reserver.getAttribute('href');
    await reserver.focus();
    await Promise.all([page.waitForURL(/\/rendez-vous\/nouveau/), page.keyboard.press('Enter')]);
    await axeClean('/rendez-vous/nouveau');

    await pickPerson('MOREAU');
    await axeClean('/rendez-vous/nouveau (personne trouvée)');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/rendez-vous-nouveau.png`, fullPage: true });
    await page.focus('button:has-text("Réserver le rendez-vous")');
    await Promise.all([page.waitForURL(/\/rendez-vous\/\d+/), page.keyboard.press('Enter')]);
    assert.match(await page.locator('h1').innerText(), /Rendez-vous du/);
    assert.match(await page.locator('.details').innerText(), /Prévu/);
    await axeClean('/rendez-vous/{id}');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/rendez-vous-detail.png`, fullPage: true });

    // The same slot again, for someone else: refused, the form keeps what was typed.
    await page.goto(`${app.url}${slot}`);
    await pickPerson('LAURENT');
    await page.focus('button:has-text("Réserver le rendez-vous")');
    await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
    const summary = page.locator('#erreurs');
    assert.match(await summary.innerText(), /déjà un rendez-vous/);
    assert.equal(await page.locator('#heure').getAttribute('aria-invalid'), 'true');
    await axeClean('/rendez-vous/nouveau (double réservation)');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/rendez-vous-double.png`, fullPage: true });

    for (const path of ['/rendez-vous', '/rendez-vous/attente', '/actions-collectives', '/agenda/salles']) {
      await page.goto(`${app.url}${path}`);
      await axeClean(path);
    }
    await page.screenshot({ path: `${SCREENSHOT_DIR}/agenda-salles.png`, fullPage: true });
    await page.goto(`${app.url}/actions-collectives`);
    await page.locator('table a').first().click();
    await axeClean('/actions-collectives/{id}');
    await page.goto(`${app.url}/rendez-vous`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/rendez-vous-liste.png`, fullPage: true });

    // The social worker's own week, with the management of the agenda; and its printed form.
    await logout(page);
    await login(page, app.url, app.byRole.travailleur_social.email);
    await page.goto(`${app.url}/agenda`);
    await page.locator('a:has-text("Mon agenda de la semaine")').click();
    assert.match(await page.locator('h1').innerText(), /Agenda de/);
    await axeClean('/agenda/agents/{id}');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/agenda-semaine.png`, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/agenda-semaine-impression.png`, fullPage: true });
    assert.equal(await page.locator('nav.navigation').isVisible(), false, 'pas de menu à l\'impression');
    await page.emulateMedia({ media: 'screen' });
  });
});
