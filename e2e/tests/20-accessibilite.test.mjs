// axe-core (WCAG 2.1 A et AA) sur chaque page atteignable depuis la
// navigation principale, pour chaque rôle, ainsi que sur les formulaires
// « …/nouveau », la page de connexion (vide et en erreur), une page 404 et un
// formulaire en erreur.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startParcours,
  launchBrowser,
  newContext,
  login,
  crawl,
  runAxe,
  formatViolations,
  ROLES,
  DEMO_PASSWORD,
} from '../lib/harness.mjs';

let app, browser;

before(async () => {
  app = await startParcours();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

async function axeOk(page, where) {
  const v = await runAxe(page);
  assert.equal(v.length, 0, `violations axe sur ${where} :\n${formatViolations(where, v)}`);
}

describe('accessibilité sans connexion', () => {
  test('page de connexion', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await page.goto(`${app.url}/connexion`);
      await axeOk(page, '/connexion');
    } finally {
      await context.close();
    }
  });

  test('page de connexion en erreur', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await page.goto(`${app.url}/connexion`);
      await page.getByLabel('Adresse électronique').fill('personne@exemple.fr');
      await page.getByLabel('Mot de passe', { exact: true }).fill('faux');
      await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
      await page.locator('[role="alert"], .erreurs').first().waitFor();
      await axeOk(page, '/connexion (erreur)');
    } finally {
      await context.close();
    }
  });

  test('page 404', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      const resp = await page.goto(`${app.url}/cette-page-n-existe-pas`);
      assert.equal(resp.status(), 404);
      assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
      await axeOk(page, '/cette-page-n-existe-pas (404)');
    } finally {
      await context.close();
    }
  });
});

for (const role of ROLES) {
  describe(`accessibilité, rôle ${role}`, () => {
    let context, page;

    before(async () => {
      const who = app.byRole[role];
      assert.ok(who, `identifiant de démonstration pour ${role}`);
      context = await newContext(browser);
      page = await context.newPage();
      await login(page, app.url, who.email, DEMO_PASSWORD);
    });
    after(async () => context?.close());

    test('pages atteignables depuis la navigation (liens du contenu, formulaires « nouveau »)', async (t) => {
      const failures = [];
      const visited = await crawl(page, app.url, {
        maxDepth: 2,
        visit: async (path, resp, from) => {
          if (resp.status() >= 400) {
            failures.push(`  [${role} ${path}] statut HTTP ${resp.status()} pour un lien affiché sur ${from}`);
            return;
          }
          const v = await runAxe(page);
          if (v.length) failures.push(formatViolations(`${role} ${path}`, v));
        },
      });
      t.diagnostic(`${role} : ${visited.length} pages vérifiées : ${visited.join(' ')}`);
      assert.equal(failures.length, 0, `problèmes (rôle ${role}) :\n${failures.join('\n')}`);
    });
  });
}

describe('accessibilité d’un formulaire en erreur', () => {
  test('/referentiel/territoires/nouveau soumis vide', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await login(page, app.url, app.byRole.administrateur.email, DEMO_PASSWORD);
      await page.goto(`${app.url}/referentiel/territoires/nouveau`);
      const form = page.locator('main form').filter({ has: page.locator('[name="nom"]') }).first();
      await form.evaluate((f) => (f.noValidate = true));
      await form.locator('button[type="submit"]').last().click();
      await page.locator('.erreur-champ').first().waitFor();
      await axeOk(page, '/referentiel/territoires/nouveau (erreurs)');
    } finally {
      await context.close();
    }
  });
});
