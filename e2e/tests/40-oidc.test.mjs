// Connexion OpenID Connect (façon ProConnect) contre un vrai fournisseur
// `oidc-provider` local : aller-retour complet, déconnexion initiée par
// Parcours (end_session), et refus d'une identité inconnue.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startParcours,
  launchBrowser,
  newContext,
  freePort,
  randomSecret,
  errorMessages,
  mainNav,
  ensureScreenshotDir,
  SCREENSHOT_DIR,
} from '../lib/harness.mjs';
import { join } from 'node:path';
import { startIdp } from '../oidc-provider.mjs';

const CLIENT_ID = 'parcours';
const CLIENT_SECRET = randomSecret();
let app, idp, browser;
let publicUrl;

before(async () => {
  const appPort = await freePort();
  publicUrl = `http://127.0.0.1:${appPort}`;
  idp = await startIdp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${publicUrl}/auth/oidc/retour`],
    postLogoutRedirectUris: [`${publicUrl}/connexion`],
    email: 'pas-encore-connu@exemple.invalid',
  });
  app = await startParcours({
    port: appPort,
    env: {
      PARCOURS_OIDC_ISSUER: idp.issuer,
      PARCOURS_OIDC_CLIENT_ID: CLIENT_ID,
      PARCOURS_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      PARCOURS_URL_PUBLIQUE: publicUrl,
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await idp?.close();
});

const onIdp = (u) => u.origin === idp.issuer;
const onApp = (u) => u.origin === publicUrl;

/** De /connexion jusqu'au retour sur Parcours, via les pages de dév. du fournisseur. */
async function proConnectRoundTrip(page) {
  await page.goto(`${publicUrl}/connexion`);
  const start = page
    .getByRole('link', { name: 'Se connecter avec ProConnect' })
    .or(page.getByRole('button', { name: 'Se connecter avec ProConnect' }));
  await Promise.all([page.waitForURL((u) => onIdp(u)), start.first().click()]);

  // Page de connexion de développement : n'importe quel identifiant convient.
  await page.locator('input[name="login"]').fill('agent-proconnect');
  await page.locator('input[name="password"]').fill('peu-importe');
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Sign-in' }).click(),
  ]);
  // Consentement (première fois), puis retour vers Parcours.
  for (let i = 0; i < 3 && onIdp(new URL(page.url())); i++) {
    await page.waitForLoadState();
    const cont = page.getByRole('button', { name: 'Continue' });
    if (await cont.count()) {
      await Promise.all([page.waitForNavigation(), cont.click()]);
    } else {
      await page.waitForURL((u) => onApp(u), { timeout: 10_000 });
    }
  }
  await page.waitForURL((u) => onApp(u) && !u.pathname.startsWith('/auth/oidc/'));
  await page.waitForLoadState();
}

describe('connexion ProConnect (OIDC)', () => {
  test('le fournisseur de test est découvrable', async () => {
    const r = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).issuer, idp.issuer);
  });

  test('la page de connexion propose ProConnect', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await page.goto(`${publicUrl}/connexion`);
      const start = page
        .getByRole('link', { name: 'Se connecter avec ProConnect' })
        .or(page.getByRole('button', { name: 'Se connecter avec ProConnect' }));
      assert.equal(await start.count(), 1);
      await ensureScreenshotDir();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'connexion-proconnect.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('aller-retour ProConnect : connecté comme le cadre, puis déconnexion via le fournisseur', async () => {
    const cadre = app.byRole.cadre;
    idp.setEmail(cadre.email);
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await proConnectRoundTrip(page);
      const here = new URL(page.url());
      assert.equal(here.pathname, '/', `retour sur l’accueil (obtenu ${here.pathname}${here.search})`);
      const body = await page.locator('body').textContent();
      assert.ok(
        await page.getByRole('button', { name: 'Se déconnecter' }).isVisible(),
        `connecté (page : ${body.replace(/\s+/g, ' ').slice(0, 300)})`,
      );
      await mainNav(page).waitFor();
      if (cadre.libelle) {
        const words = cadre.libelle.split(/[\s()—-]+/).filter((w) => w.length > 3);
        assert.ok(words.some((w) => body.includes(w)), `rôle ${cadre.libelle} affiché dans l’en-tête`);
      }

      // La requête d'autorisation ressemble à celle attendue par ProConnect.
      const a = idp.lastAuthorization;
      assert.ok(a, 'requête d’autorisation reçue par le fournisseur');
      const scopes = new Set((a.scope ?? '').split(' '));
      for (const s of ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret']) {
        assert.ok(scopes.has(s), `scope ${s} demandé (scope=${a.scope})`);
      }
      assert.equal(a.response_type, 'code');
      assert.equal(a.code_challenge_method, 'S256');
      assert.ok(a.code_challenge, 'PKCE');
      assert.ok(a.state && a.state.length >= 16, 'state aléatoire');
      assert.ok(a.nonce && a.nonce.length >= 16, 'nonce aléatoire');
      assert.equal(a.redirect_uri, `${publicUrl}/auth/oidc/retour`);

      // Déconnexion : Parcours renvoie vers end_session du fournisseur…
      await Promise.all([
        page.waitForURL((u) => onIdp(u) || (onApp(u) && u.pathname === '/connexion')),
        page.getByRole('button', { name: 'Se déconnecter' }).click(),
      ]);
      const e = idp.lastEndSession;
      assert.ok(
        e && onIdp(new URL(page.url())),
        `« Se déconnecter » doit mener à end_session_endpoint du fournisseur (${idp.issuer}/session/end), ` +
          `obtenu ${page.url()}`,
      );
      assert.ok(e.id_token_hint || e.client_id, 'id_token_hint ou client_id transmis');
      assert.equal(e.post_logout_redirect_uri, `${publicUrl}/connexion`);
      // … qui demande confirmation puis renvoie vers /connexion.
      await Promise.all([
        page.waitForURL((u) => onApp(u) && u.pathname === '/connexion'),
        page.getByRole('button', { name: 'Yes, sign me out' }).click(),
      ]);
      await page.goto(`${publicUrl}/agents`);
      assert.equal(new URL(page.url()).pathname, '/connexion', 'session Parcours fermée');
    } finally {
      await context.close();
    }
  });

  test('identité inconnue : refus avec un message en français', async (t) => {
    idp.setEmail('inconnu.e2e@exemple.invalid');
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await proConnectRoundTrip(page);
      assert.equal(
        await page.getByRole('button', { name: 'Se déconnecter' }).count(),
        0,
        'pas de session ouverte',
      );
      const err = errorMessages(page).first();
      await err.waitFor();
      const msg = (await err.textContent()).replace(/\s+/g, ' ').trim();
      t.diagnostic(`message affiché : « ${msg} »`);
      await ensureScreenshotDir();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'connexion-proconnect-inconnu.png'), fullPage: true });
      assert.ok(msg.length > 10, `message : « ${msg} »`);
      assert.doesNotMatch(msg, /\b(error|unknown|invalid|not found)\b/i, `message en français : « ${msg} »`);
      await page.goto(`${publicUrl}/agents`);
      assert.equal(new URL(page.url()).pathname, '/connexion');
    } finally {
      await context.close();
    }
  });
});
