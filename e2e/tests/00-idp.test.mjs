// Fournisseur OIDC de test, seul (sans Parcours) : découverte, puis un
// parcours d'autorisation complet « à la main » (fetch), avec PKCE.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startIdp } from '../oidc-provider.mjs';

const REDIRECT = 'http://127.0.0.1:9/auth/oidc/retour';
const POST_LOGOUT = 'http://127.0.0.1:9/connexion';
const SECRET = randomBytes(16).toString('hex');
const EMAIL = 'camille.cadre@exemple.fr';
let idp;

before(async () => {
  idp = await startIdp({
    clientId: 'parcours',
    clientSecret: SECRET,
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [POST_LOGOUT],
    email: EMAIL,
  });
});
after(async () => idp && (await idp.close()));

/** Bocal à cookies minimal (on ignore les chemins : un seul client). */
class Jar {
  #c = new Map();
  store(res) {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
      if (!value || expired) this.#c.delete(name);
      else this.#c.set(name, value);
    }
  }
  header() {
    return [...this.#c].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function go(jar, url, init = {}) {
  const res = await fetch(url, {
    redirect: 'manual',
    ...init,
    headers: { cookie: jar.header(), ...(init.headers ?? {}) },
  });
  jar.store(res);
  return res;
}

function formAction(html) {
  const m = html.match(/<form[^>]*action="([^"]+)"/);
  assert.ok(m, `formulaire attendu dans :\n${html.slice(0, 500)}`);
  return m[1];
}

test('découverte : /.well-known/openid-configuration', async () => {
  const r = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
  assert.equal(r.status, 200);
  const d = await r.json();
  assert.equal(d.issuer, idp.issuer);
  for (const s of ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret']) {
    assert.ok(d.scopes_supported.includes(s), `scope ${s} annoncé`);
  }
  for (const c of ['email', 'given_name', 'usual_name', 'uid', 'siret']) {
    assert.ok(d.claims_supported.includes(c), `claim ${c} annoncée`);
  }
  assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
  assert.ok(d.end_session_endpoint, 'end_session_endpoint (déconnexion initiée par le client)');
  assert.ok(d.authorization_endpoint.startsWith('http://127.0.0.1:'));
  const jwks = await (await fetch(d.jwks_uri)).json();
  assert.equal(jwks.keys[0].kty, 'RSA');
});

test('autorisation sans PKCE refusée', async () => {
  const jar = new Jar();
  const u = new URL(`${idp.issuer}/auth`);
  u.search = new URLSearchParams({
    client_id: 'parcours',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid email',
    state: 's',
    nonce: 'n',
  });
  const r = await go(jar, u);
  assert.equal(r.status, 303);
  const loc = new URL(r.headers.get('location'));
  assert.equal(loc.origin + loc.pathname, REDIRECT);
  assert.equal(loc.searchParams.get('error'), 'invalid_request');
  assert.match(loc.searchParams.get('error_description'), /PKCE|code_challenge/);
});

test('parcours complet : connexion, consentement, jeton, userinfo, déconnexion', async () => {
  const jar = new Jar();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const u = new URL(`${idp.issuer}/auth`);
  u.search = new URLSearchParams({
    client_id: 'parcours',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid email given_name usual_name uid siret',
    state: 'etat-1',
    nonce: 'nonce-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });

  let r = await go(jar, u);
  assert.equal(r.status, 303);
  let loc = new URL(r.headers.get('location'), idp.issuer);
  assert.match(loc.pathname, /^\/interaction\//);

  // Page de connexion de développement : n'importe quel identifiant.
  r = await go(jar, loc);
  assert.equal(r.status, 200);
  let action = formAction(await r.text());
  r = await go(jar, new URL(action, idp.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ prompt: 'login', login: 'nimporte-qui', password: 'x' }),
  });
  assert.equal(r.status, 303);

  // Suivre jusqu'au consentement puis jusqu'au retour vers le client.
  let code;
  for (let i = 0; i < 10 && !code; i++) {
    loc = new URL(r.headers.get('location'), idp.issuer);
    if (loc.href.startsWith(REDIRECT)) {
      assert.equal(loc.searchParams.get('state'), 'etat-1');
      assert.equal(loc.searchParams.get('error'), null, loc.searchParams.get('error_description'));
      code = loc.searchParams.get('code');
      break;
    }
    r = await go(jar, loc);
    if (r.status === 200) {
      action = formAction(await r.text());
      r = await go(jar, new URL(action, idp.issuer), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'consent' }),
      });
    }
  }
  assert.ok(code, 'code d’autorisation reçu');

  const disco = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  const tok = await fetch(disco.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`parcours:${SECRET}`).toString('base64'),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  });
  const tokens = await tok.json();
  assert.equal(tok.status, 200, JSON.stringify(tokens));
  assert.ok(tokens.id_token && tokens.access_token);
  const idClaims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url'));
  assert.equal(idClaims.nonce, 'nonce-1');
  assert.equal(idClaims.email, EMAIL);

  const ui = await fetch(disco.userinfo_endpoint, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(ui.status, 200);
  const info = await ui.json();
  assert.equal(info.email, EMAIL);
  assert.equal(info.sub, 'nimporte-qui');
  for (const c of ['given_name', 'usual_name', 'uid', 'siret']) assert.ok(info[c], `claim ${c}`);

  // Déconnexion initiée par le client (RP-initiated logout).
  const end = new URL(disco.end_session_endpoint);
  end.search = new URLSearchParams({
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: POST_LOGOUT,
    state: 'fin',
  });
  r = await go(jar, end);
  assert.equal(r.status, 200);
  const html = await r.text();
  const xsrf = html.match(/name="xsrf" value="([^"]+)"/)?.[1];
  assert.ok(xsrf, 'formulaire de confirmation de déconnexion');
  r = await go(jar, new URL(formAction(html), idp.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }),
  });
  assert.equal(r.status, 303);
  // Le fournisseur finit par renvoyer vers post_logout_redirect_uri.
  let final = r.headers.get('location');
  for (let i = 0; i < 5 && final && !final.startsWith(POST_LOGOUT); i++) {
    r = await go(jar, new URL(final, idp.issuer));
    final = r.headers.get('location');
  }
  assert.ok(final?.startsWith(POST_LOGOUT), `retour vers ${POST_LOGOUT}, obtenu ${final}`);
  assert.equal(new URL(final).searchParams.get('state'), 'fin');
});
