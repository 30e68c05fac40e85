// Au clavier seulement : lien d'évitement en premier arrêt de tabulation,
// focus visible, connexion, puis création d'un territoire (Tab, saisie,
// Entrée) qui apparaît ensuite dans la liste.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startParcours,
  launchBrowser,
  newContext,
  tabUntil,
  activeElementInfo,
  DEMO_PASSWORD,
} from '../lib/harness.mjs';

let app, browser, context, page;

before(async () => {
  app = await startParcours();
  browser = await launchBrowser();
  context = await newContext(browser);
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

function focusVisible(info) {
  const outline = info.outlineStyle !== 'none' && info.outlineWidth !== '0px';
  const shadow = info.boxShadow && info.boxShadow !== 'none';
  return outline || shadow;
}

/** Tab jusqu'au lien dont le chemin est `path` puis Entrée. */
async function followLinkByKeyboard(path) {
  const found = await tabUntil(
    page,
    (p) => {
      const el = document.activeElement;
      return el?.tagName === 'A' && new URL(el.href, location.href).pathname === p;
    },
    path,
  );
  assert.ok(found, `lien vers ${path} atteint au clavier depuis ${new URL(page.url()).pathname}`);
  const info = await activeElementInfo(page);
  assert.ok(focusVisible(info), `focus visible sur le lien ${path} : ${JSON.stringify(info)}`);
  await Promise.all([page.waitForURL((u) => u.pathname === path), page.keyboard.press('Enter')]);
}

describe('navigation au clavier', () => {
  test('le lien d’évitement est le premier arrêt de tabulation, focus visible', async () => {
    await page.goto(`${app.url}/connexion`);
    await page.keyboard.press('Tab');
    const info = await activeElementInfo(page);
    assert.equal(info.tag, 'a', `premier arrêt : ${JSON.stringify(info)}`);
    assert.equal(info.href, '#contenu');
    assert.match(info.text, /Aller au contenu/);
    assert.ok(focusVisible(info), `focus visible (outline) : ${JSON.stringify(info)}`);
    // Le lien d'évitement doit être visible quand il a le focus.
    const box = await page.evaluate(() => {
      const r = document.activeElement.getBoundingClientRect();
      return { w: r.width, h: r.height, x: r.x, y: r.y };
    });
    assert.ok(box.w > 1 && box.h > 1 && box.x >= 0 && box.y >= 0, `lien d’évitement visible au focus : ${JSON.stringify(box)}`);
    await page.keyboard.press('Enter');
    const target = await page.evaluate(() => document.activeElement?.id || location.hash);
    assert.ok(['contenu', '#contenu'].includes(target), `Entrée mène à #contenu (obtenu ${target})`);
  });

  test('connexion au clavier seulement', async () => {
    await page.goto(`${app.url}/connexion`);
    const okId = await tabUntil(page, () => document.activeElement?.getAttribute('name') === 'identifiant', null, 20);
    assert.ok(okId, 'champ identifiant atteint par Tab');
    const info = await activeElementInfo(page);
    assert.ok(focusVisible(info), `focus visible sur le champ identifiant : ${JSON.stringify(info)}`);
    await page.keyboard.type(app.byRole.administrateur.email);
    await page.keyboard.press('Tab');
    const pw = await activeElementInfo(page);
    assert.equal(pw.name, 'mot_de_passe', `Tab suivant : champ mot de passe (obtenu ${JSON.stringify(pw)})`);
    await page.keyboard.type(DEMO_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.keyboard.press('Enter')]);
    assert.ok(
      await page.getByRole('button', { name: 'Se déconnecter' }).isVisible(),
      'connecté',
    );
  });

  test('création d’un territoire au clavier, visible dans la liste', async () => {
    const suffix = Date.now().toString(36).toUpperCase().slice(-5);
    const code = `KB-${suffix}`;
    const nom = `Territoire clavier ${suffix}`;

    await page.goto(`${app.url}/`);
    const hasDirect = await page
      .locator('nav[aria-label="Navigation principale"] a[href="/referentiel/territoires"]')
      .count();
    if (!hasDirect) await followLinkByKeyboard('/referentiel');
    await followLinkByKeyboard('/referentiel/territoires');
    await followLinkByKeyboard('/referentiel/territoires/nouveau');

    // Lien d'évitement (premier arrêt) puis Entrée : le focus passe au contenu,
    // sans traverser l'en-tête (dont le bouton « Se déconnecter »).
    await page.keyboard.press('Tab');
    assert.equal((await activeElementInfo(page)).href, '#contenu');
    await page.keyboard.press('Enter');

    // Parcourir le formulaire au clavier : remplir code et nom, choisir un type.
    const seen = [];
    let submitted = false;
    for (let i = 0; i < 40 && !submitted; i++) {
      await page.keyboard.press('Tab');
      const el = await activeElementInfo(page);
      seen.push(el.name || el.tag);
      if (!focusVisible(el)) assert.fail(`focus invisible sur ${JSON.stringify(el)}`);
      if (el.name === 'code') await page.keyboard.type(code);
      else if (el.name === 'nom') await page.keyboard.type(nom);
      else if (el.tag === 'select') {
        // Premier choix non vide : flèche bas si la valeur est vide.
        const v = await page.evaluate(() => document.activeElement.value);
        if (!v) await page.keyboard.press('ArrowDown');
      } else if (el.tag === 'button' && el.type === 'submit') {
        assert.match(el.text, /Enregistrer|Créer|Ajouter/, `bouton d’envoi du formulaire (obtenu « ${el.text} »)`);
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        submitted = true;
      }
    }
    assert.ok(submitted, `bouton d’envoi atteint au clavier (arrêts : ${seen.join(', ')})`);
    await page.waitForLoadState();
    const errors = await page.locator('.erreur-champ').allTextContents();
    assert.deepEqual(errors, [], `le formulaire est accepté (arrêts : ${seen.join(', ')})`);

    // Retour à la liste : le nouveau territoire y figure.
    if (new URL(page.url()).pathname !== '/referentiel/territoires') {
      await page.goto(`${app.url}/referentiel/territoires`);
    }
    const main = await page.locator('main').textContent();
    assert.ok(main.includes(nom), `« ${nom} » dans la liste des territoires`);
    assert.ok(main.toUpperCase().includes(code), `code ${code} dans la liste`);
  });
});
