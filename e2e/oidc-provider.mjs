// Fournisseur d'identité OpenID Connect de test (façon ProConnect) pour les
// tests de bout en bout de Parcours. Il s'appuie sur le paquet npm
// `oidc-provider` : un vrai serveur OIDC, en HTTP simple sur 127.0.0.1.
//
// Utilisation en ligne de commande :
//   OIDC_PORT=4010 OIDC_CLIENT_ID=parcours OIDC_CLIENT_SECRET=secret \
//   OIDC_REDIRECT_URIS=http://127.0.0.1:3000/auth/oidc/retour \
//   OIDC_POST_LOGOUT_REDIRECT_URIS=http://127.0.0.1:3000/connexion \
//   OIDC_TEST_EMAIL=cadre@example.fr node oidc-provider.mjs [port]
//
// Utilisation depuis les tests : `import { startIdp } from '../oidc-provider.mjs'`.
//
// Quel que soit l'identifiant saisi sur la page de connexion de développement
// (devInteractions), le compte renvoyé porte l'adresse `email` courante
// (OIDC_TEST_EMAIL, ou `idp.setEmail()` depuis un test).

import { generateKeyPairSync, randomBytes, createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Provider from 'oidc-provider';

const SCOPES_PROCONNECT = ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret'];

function htmlSafe(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  // Pas de ressource externe (pas de réseau sur la machine de test).
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>${htmlSafe(title)}</title>
<style>body{font-family:sans-serif;margin:2rem auto;max-width:30rem}button{display:block;margin:.5rem 0}</style>
</head><body><main><h1>${htmlSafe(title)}</h1>${body}</main></body></html>`;
}

/** Identité synthétique dérivée de l'adresse électronique. */
export function syntheticIdentity(email, sub) {
  const local = String(email).split('@')[0] || 'agent';
  const parts = local.split(/[._-]+/).filter(Boolean);
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const digest = createHash('sha256').update(String(email)).digest('hex');
  return {
    sub,
    email,
    given_name: cap(parts[0] || 'Agent'),
    usual_name: cap(parts.slice(1).join(' ') || 'Test'),
    uid: `uid-${digest.slice(0, 12)}`,
    siret: '21330063500017', // SIRET synthétique (14 chiffres)
  };
}

/**
 * Démarre le fournisseur. Renvoie { issuer, port, provider, setEmail, close }.
 * @param {object} o
 * @param {number} [o.port=0]  0 : port libre choisi par le système
 * @param {string} o.clientId
 * @param {string} o.clientSecret
 * @param {string[]} o.redirectUris
 * @param {string[]} [o.postLogoutRedirectUris]
 * @param {string} o.email     adresse renvoyée pour toute connexion
 * @param {string} [o.tokenEndpointAuthMethod='client_secret_basic']
 * @param {boolean} [o.userinfoJwt=false] userinfo signée (comme ProConnect)
 */
export async function startIdp(o) {
  const host = '127.0.0.1';
  let email = o.email;
  let lastAuthorization = null; // paramètres de la dernière requête d'autorisation (pour les tests)
  let lastEndSession = null;

  // On réserve d'abord le port pour connaître l'émetteur exact.
  const { createServer } = await import('node:http');
  const server = createServer();
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(o.port ?? 0, host, res);
  });
  const port = server.address().port;
  const issuer = `http://${host}:${port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  jwk.kid = 'e2e-' + randomBytes(4).toString('hex');
  jwk.use = 'sig';
  jwk.alg = 'RS256';

  const client = {
    client_id: o.clientId,
    client_secret: o.clientSecret,
    redirect_uris: o.redirectUris,
    post_logout_redirect_uris: o.postLogoutRedirectUris ?? [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: o.tokenEndpointAuthMethod ?? 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  };
  if (o.userinfoJwt) client.userinfo_signed_response_alg = 'RS256';

  const configuration = {
    clients: [client],
    jwks: { keys: [jwk] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      // HTTP simple : jamais de cookie « Secure ».
      long: { httpOnly: true, sameSite: 'lax', secure: false },
      short: { httpOnly: true, sameSite: 'lax', secure: false },
    },
    pkce: { required: () => true, methods: ['S256'] },
    scopes: SCOPES_PROCONNECT,
    claims: {
      openid: ['sub'],
      email: ['email'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
      uid: ['uid'],
      siret: ['siret'],
    },
    // Les revendications demandées figurent aussi dans l'id_token.
    conformIdTokenClaims: false,
    clientBasedCORS: () => true,
    features: {
      devInteractions: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = page(
            'Déconnexion du fournisseur de test',
            `${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = page('Déconnecté', '<p>Déconnexion réussie.</p>');
        },
      },
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => syntheticIdentity(email, sub),
    }),
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'Erreur du fournisseur de test',
        `<pre id="erreur-oidc">${htmlSafe(JSON.stringify(out, null, 2))}</pre>`,
      );
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  };

  const provider = new Provider(issuer, configuration);
  // Silence : les avertissements « dev interactions » sont attendus ici.
  provider.on('server_error', (_ctx, err) => console.error('[idp] server_error', err));
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth') lastAuthorization = { ...ctx.query };
    if (ctx.path === '/session/end') lastEndSession = { ...ctx.query };
    await next();
  });

  server.on('request', provider.callback());

  return {
    issuer,
    port,
    provider,
    setEmail(e) {
      email = e;
    },
    get email() {
      return email;
    },
    get lastAuthorization() {
      return lastAuthorization;
    },
    get lastEndSession() {
      return lastEndSession;
    },
    close: () =>
      new Promise((res) => {
        server.closeAllConnections?.();
        server.close(() => res());
      }),
  };
}

// Lancement direct : `node oidc-provider.mjs [port]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const list = (v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const port = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 0);
  const idp = await startIdp({
    port,
    clientId: process.env.OIDC_CLIENT_ID ?? 'parcours',
    clientSecret: process.env.OIDC_CLIENT_SECRET ?? randomBytes(24).toString('hex'),
    redirectUris: list(process.env.OIDC_REDIRECT_URIS),
    postLogoutRedirectUris: list(process.env.OIDC_POST_LOGOUT_REDIRECT_URIS),
    email: process.env.OIDC_TEST_EMAIL ?? 'agent@example.fr',
    tokenEndpointAuthMethod: process.env.OIDC_TOKEN_AUTH_METHOD,
    userinfoJwt: process.env.OIDC_USERINFO_JWT === '1',
  });
  console.log(`IdP de test prêt : ${idp.issuer}`);
  const stop = async () => {
    await idp.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
