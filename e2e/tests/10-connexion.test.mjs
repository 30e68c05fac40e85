// Connexion par mot de passe (administrateur), navigation par le menu vers
// chaque page, erreur de formulaire qui garde la saisie, déconnexion.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startParcours,
  launchBrowser,
  newContext,
  login,
  mainNav,
  navLinks,
  errorMessages,
  CONTRACT_PAGES,
  DEMO_PASSWORD,
} from '../lib/harness.mjs';

let app, browser, context, page;
const serverErrors = [];

before(async () => {
  app = await startParcours();
  browser = await launchBrowser();
  context = await newContext(browser);
  page = await context.newPage();
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.status() >= 500) {
      serverErrors.push(`${r.status()} ${r.url()}`);
    }
  });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

describe('connexion par mot de passe (administrateur)', () => {
  test('les identifiants de démonstration couvrent tous les rôles', () => {
    for (const role of [
      'accueil',
      'travailleur_social',
      'cadre',
      'equipe_centrale',
      'administrateur',
      'direction',
      'dpo',
    ]) {
      assert.ok(app.byRole[role], `identifiant de démonstration pour le rôle ${role}`);
    }
  });

  test('une page protégée renvoie vers /connexion', async () => {
    await page.goto(`${app.url}/agents`);
    assert.equal(new URL(page.url()).pathname, '/connexion');
  });

  test('mauvais mot de passe : message en français, adresse conservée', async () => {
    const email = app.byRole.administrateur.email;
    await page.goto(`${app.url}/connexion`);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill('pas-le-bon-mot-de-passe');
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForLoadState();
    assert.equal(new URL(page.url()).pathname, '/connexion');
    const err = errorMessages(page).first();
    await err.waitFor();
    const msg = (await err.textContent()).trim();
    assert.ok(msg.length > 0, 'message d’erreur non vide');
    assert.doesNotMatch(msg, /\b(invalid|error|password|wrong)\b/i, `message en français : « ${msg} »`);
    assert.equal(await page.getByLabel('Adresse électronique').inputValue(), email);
    assert.equal(await page.getByLabel('Mot de passe', { exact: true }).inputValue(), '');
  });

  test('connexion puis accueil : nom de l’agent et navigation principale', async () => {
    const admin = app.byRole.administrateur;
    await login(page, app.url, admin.email, DEMO_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/');
    await mainNav(page).waitFor();
    const header = await page.locator('body').textContent();
    assert.ok(
      !/Se connecter/.test(await page.locator('main').textContent()),
      'plus de formulaire de connexion',
    );
    assert.ok(await page.getByRole('button', { name: 'Se déconnecter' }).isVisible());
    if (admin.libelle) {
      // Le libellé du fichier d'identifiants peut être « Prénom Nom » ou une description.
      const words = admin.libelle.split(/[\s()—-]+/).filter((w) => w.length > 3);
      assert.ok(
        words.some((w) => header.includes(w)),
        `libellé du rôle (${admin.libelle}) affiché dans l’en-tête`,
      );
    }
  });

  test('chaque lien de la navigation principale s’ouvre (clic)', async () => {
    await page.goto(`${app.url}/`);
    const links = await navLinks(page);
    assert.ok(links.length >= 3, `au moins 3 liens dans la navigation, trouvé ${links.length}`);
    const problems = [];
    for (const { path, text } of links) {
      await page.goto(`${app.url}/`);
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.request().isNavigationRequest()),
        mainNav(page).getByRole('link', { name: text, exact: true }).first().click(),
      ]);
      await page.waitForLoadState();
      const here = new URL(page.url());
      if (resp.status() !== 200) problems.push(`${path} (« ${text} ») : statut ${resp.status()}`);
      if (here.pathname + here.search !== path) problems.push(`${path} : arrivé sur ${here.pathname}`);
      const h1 = await page.locator('h1').count();
      if (h1 !== 1) problems.push(`${path} : ${h1} titre(s) h1 au lieu de 1`);
      const current = await mainNav(page).locator('[aria-current="page"]').count();
      if (current < 1) problems.push(`${path} : aucun lien aria-current="page" dans la navigation`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('toutes les pages du contrat répondent à l’administrateur', async () => {
    const problems = [];
    for (const path of CONTRACT_PAGES) {
      const resp = await page.goto(`${app.url}${path}`);
      const expected = path === '/audit' ? [403, 404] : [200];
      if (!expected.includes(resp.status())) {
        problems.push(`${path} : statut ${resp.status()}, attendu ${expected.join(' ou ')}`);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('formulaire territoire : erreur par champ, saisie conservée', async () => {
    await page.goto(`${app.url}/referentiel/territoires/nouveau`);
    const form = page.locator('main form').filter({ has: page.locator('[name="nom"]') }).first();
    // On veut l'erreur du serveur : pas de validation du navigateur.
    await form.evaluate((f) => (f.noValidate = true));
    await form.locator('[name="code"]').fill('E2E-SANS-NOM');
    await form.locator('[name="nom"]').fill('');
    await Promise.all([
      page.waitForLoadState(),
      form.locator('button[type="submit"], input[type="submit"]').last().click(),
    ]);
    await page.locator('#nom-erreur').waitFor();
    assert.equal(await page.locator('[name="code"]').inputValue(), 'E2E-SANS-NOM', 'code conservé');
    const msg = (await page.locator('#nom-erreur').textContent()).trim();
    assert.match(msg, /nom/i, `message près du champ nom : « ${msg} »`);
    assert.ok(await page.locator('#nom-erreur').evaluate((e) => e.classList.contains('erreur-champ')));
    const describedby = (await page.locator('[name="nom"]').getAttribute('aria-describedby')) ?? '';
    assert.ok(describedby.split(/\s+/).includes('nom-erreur'), `aria-describedby="${describedby}"`);
    assert.equal(await page.locator('[name="nom"]').getAttribute('aria-invalid'), 'true');
    // Récapitulatif des erreurs en haut du formulaire, avec un lien vers le champ.
    const summary = errorMessages(page).first();
    await summary.waitFor();
    assert.ok(
      (await summary.locator('a[href="#nom"]').count()) >= 1,
      'le récapitulatif pointe vers #nom',
    );
  });

  test('déconnexion', async () => {
    await page.goto(`${app.url}/`);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/connexion'),
      page.getByRole('button', { name: 'Se déconnecter' }).click(),
    ]);
    await page.goto(`${app.url}/agents`);
    assert.equal(new URL(page.url()).pathname, '/connexion', 'session fermée');
  });

  test('aucune page n’a renvoyé d’erreur 5xx', () => {
    assert.deepEqual(serverErrors, []);
  });
});
