// Outillage commun des tests de bout en bout : démarrage de Parcours sur une
// base neuve (dossier temporaire, port libre), navigateur Chromium de Debian,
// axe-core, connexion.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import { existsSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
export const E2E_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCREENSHOT_DIR = join(E2E_DIR, 'screenshots');

export const PARCOURS_BIN =
  process.env.PARCOURS_BIN ?? '/root/.cache/parcours-target/debug/parcours';
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const DEMO_PASSWORD = process.env.PARCOURS_DEMO_PASSWORD ?? 'Vitrail-Demo-2026!';
export const ROLES = [
  'accueil',
  'travailleur_social',
  'cadre',
  'equipe_centrale',
  'administrateur',
  'direction',
  'dpo',
];
/** Pages annoncées par le contrat du serveur (hors formulaires `/nouveau`). */
export const CONTRACT_PAGES = [
  '/',
  '/referentiel',
  '/referentiel/territoires',
  '/referentiel/sites',
  '/referentiel/secteurs',
  '/referentiel/communes',
  '/referentiel/permanences',
  '/referentiel/services',
  '/referentiel/import',
  '/referentiel/resolution',
  '/agents',
  '/agents/nouveau',
  '/audit',
  '/admin/taches',
  '/admin/jetons',
  '/compte',
];
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function runOnce(bin, args, env, cwd) {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { env: { ...process.env, ...env }, cwd, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          err.message += `\n$ ${bin} ${args.join(' ')}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
          reject(err);
        } else resolve({ stdout, stderr });
      },
    );
  });
}

async function tail(path, n = 60) {
  try {
    const txt = await readFile(path, 'utf8');
    return txt.split('\n').slice(-n).join('\n');
  } catch {
    return '(pas de journal)';
  }
}

/**
 * Prépare une base neuve et démarre `parcours serve`.
 * @param {object} [opts]
 * @param {number} [opts.port]  port d'écoute (sinon port libre)
 * @param {object} [opts.env]   variables d'environnement supplémentaires
 * @returns {Promise<{url:string, port:number, dir:string, logins:object[], byRole:Record<string,object>, logPath:string, stop:()=>Promise<void>}>}
 */
export async function startParcours(opts = {}) {
  if (!existsSync(PARCOURS_BIN)) {
    throw new Error(
      `Binaire Parcours introuvable : ${PARCOURS_BIN} (construire avec ` +
        '`CARGO_TARGET_DIR=/root/.cache/parcours-target cargo build -p parcours-app` ou définir PARCOURS_BIN)',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'parcours-e2e-'));
  const dbUrl = `sqlite://${join(dir, 'e2e.db')}`;
  const loginsPath = join(dir, 'logins.json');
  const baseEnv = { PARCOURS_DATABASE_URL: dbUrl, ...(opts.env ?? {}) };

  await runOnce(PARCOURS_BIN, ['migrate'], baseEnv, dir);
  await runOnce(
    PARCOURS_BIN,
    ['demo', '--seed', '1', '--identifiants', loginsPath],
    baseEnv,
    dir,
  );
  const logins = JSON.parse(await readFile(loginsPath, 'utf8'));
  const byRole = {};
  for (const l of logins) byRole[l.role] ??= l;

  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const logPath = join(dir, 'serve.log');
  const log = createWriteStream(logPath);
  const child = spawn(PARCOURS_BIN, ['serve'], {
    env: {
      ...process.env,
      RUST_LOG: process.env.RUST_LOG ?? 'info',
      ...baseEnv,
      PARCOURS_LISTEN: `127.0.0.1:${port}`,
      PARCOURS_COOKIE_SECURE: 'non',
    },
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  const exitPromise = new Promise((res) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      res(exited);
    }),
  );

  // Attente bornée de /healthz (100 × 100 ms).
  let ready = false;
  for (let i = 0; i < 100 && !exited; i++) {
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) {
        ready = true;
        break;
      }
    } catch {
      /* pas encore prêt */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) {
    child.kill('SIGKILL');
    await exitPromise;
    throw new Error(
      `parcours serve n'a pas répondu 200 sur /healthz (${url}) ; sortie=${JSON.stringify(exited)}\n` +
        (await tail(logPath)),
    );
  }

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(t);
    }
    log.end();
    if (!process.env.E2E_KEEP_TMP) await rm(dir, { recursive: true, force: true });
    else console.log(`# dossier temporaire conservé : ${dir}`);
  };
  // Runs the due background jobs now, in a separate process (`parcours taches`).
  const runJobs = () => runOnce(PARCOURS_BIN, ['taches'], baseEnv, dir);
  return { url, port, dir, logins, byRole, logPath, stop, runJobs, tail: () => tail(logPath) };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Contexte de navigation : tout ce qui n'est pas sur 127.0.0.1 est bloqué. */
export async function newContext(browser, options = {}) {
  // bypassCSP : la CSP de Parcours (script-src 'self') refuserait le script
  // axe-core injecté par les tests ; elle ne concerne pas ce qui est testé.
  const context = await browser.newContext({ locale: 'fr-FR', bypassCSP: true, ...options });
  await context.route(
    (u) => !['127.0.0.1', 'localhost'].includes(u.hostname) && u.protocol !== 'data:',
    (route) => route.abort(),
  );
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

/** Connexion par mot de passe via le formulaire /connexion. */
export async function login(page, base, email, password = DEMO_PASSWORD) {
  await page.goto(`${base}/connexion`);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/connexion'),
    page.getByRole('button', { name: 'Se connecter', exact: true }).click(),
  ]);
}

export async function logout(page) {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
}

export function mainNav(page) {
  return page.locator('nav[aria-label="Navigation principale"]');
}

/** Liens (même origine, chemins) de la navigation principale. */
export async function navLinks(page) {
  const origin = new URL(page.url()).origin;
  const hrefs = await mainNav(page)
    .locator('a[href]')
    .evaluateAll((as) => as.map((a) => ({ href: a.href, text: a.textContent.trim() })));
  const seen = new Set();
  const out = [];
  for (const { href, text } of hrefs) {
    const u = new URL(href);
    if (u.origin !== origin) continue;
    const path = u.pathname + u.search;
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, text });
  }
  return out;
}

/** Liens de la page courante vers un formulaire de création (…/nouveau). */
export async function newFormLinks(page) {
  const origin = new URL(page.url()).origin;
  const hrefs = await page
    .locator('main a[href], #contenu a[href]')
    .evaluateAll((as) => as.map((a) => a.href));
  return [
    ...new Set(
      hrefs
        .map((h) => new URL(h))
        .filter((u) => u.origin === origin && /\/nouveau\/?$/.test(u.pathname))
        .map((u) => u.pathname),
    ),
  ];
}

const AXE_SOURCE = require.resolve('axe-core/axe.min.js');

/** Lance axe-core (WCAG 2.1 A/AA) sur la page courante. */
export async function runAxe(page) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.addScriptTag({ path: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  }, AXE_TAGS);
}

export function formatViolations(where, violations) {
  return violations
    .map(
      (v) =>
        `  [${where}] ${v.id} (${v.impact}) — ${v.help}\n` +
        v.nodes
          .slice(0, 10)
          .map((n) => `      cible: ${n.target}\n        ${(n.summary ?? '').replace(/\n/g, '\n        ')}`)
          .join('\n'),
    )
    .join('\n');
}

/** Fails the test with the violations listed if axe-core finds any on the current page. */
export async function assertAxeClean(page, where) {
  const violations = await runAxe(page);
  assert.equal(violations.length, 0, `violations axe :\n${formatViolations(where, violations)}`);
}

export async function ensureScreenshotDir() {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
}

export function randomSecret() {
  return randomBytes(24).toString('base64url');
}

/** Texte d'un message d'erreur global (role=alert ou .erreurs). */
export function errorMessages(page) {
  return page.locator('[role="alert"], .erreurs');
}

/**
 * Appuie sur Tab jusqu'à ce que `predicate` (évalué dans la page sur
 * document.activeElement) soit vrai ; au plus `max` fois.
 */
export async function tabUntil(page, predicate, arg, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate, arg)) return true;
  }
  return false;
}

export async function activeElementInfo(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return null;
    const cs = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      name: el.getAttribute('name'),
      id: el.id,
      type: el.getAttribute('type'),
      href: el.getAttribute('href'),
      text: (el.textContent ?? '').trim().slice(0, 80),
      outlineStyle: cs.outlineStyle,
      outlineWidth: cs.outlineWidth,
      boxShadow: cs.boxShadow,
    };
  });
}

const SKIP_PREFIXES = ['/static/', '/api/', '/metrics', '/auth/', '/deconnexion', '/connexion', '/healthz'];

/** Forme d'un chemin : les identifiants (nombres, codes INSEE) deviennent {id}. */
export function pathPattern(path) {
  return path
    .split('/')
    .map((s) => (/^\d+$/.test(s) || /^[0-9][0-9AB]\d{3}$/.test(s) ? '{id}' : s))
    .join('/');
}

/**
 * Parcours en largeur des liens GET de même origine, à partir de la navigation
 * principale, en suivant les liens du contenu (`main`) jusqu'à `maxDepth`.
 * Une seule page par forme de chemin (…/territoires/{id}), sans paramètres ; les liens de
 * téléchargement (attribut `download` : exports CSV, XLSX) ne sont pas des pages.
 * `visit(path, response)` est appelé sur chaque page ouverte.
 */
export async function crawl(page, base, { maxDepth = 2, maxPages = 60, visit } = {}) {
  await page.goto(`${base}/`);
  const origin = new URL(base).origin;
  const start = ['/', ...(await navLinks(page)).map((l) => new URL(l.path, origin).pathname)];
  const queue = start.map((p) => ({ path: p, depth: 0, from: 'navigation principale' }));
  const patterns = new Set();
  const visited = [];
  while (queue.length && visited.length < maxPages) {
    const { path, depth, from } = queue.shift();
    const pat = pathPattern(path);
    if (patterns.has(pat)) continue;
    patterns.add(pat);
    const resp = await page.goto(`${base}${path}`);
    visited.push(path);
    await visit?.(path, resp, from);
    if (depth >= maxDepth || resp.status() >= 400) continue;
    const hrefs = await page
      .locator('main a[href]:not([download])')
      .evaluateAll((as) => as.map((a) => a.href));
    for (const h of hrefs) {
      const u = new URL(h);
      if (u.origin !== origin) continue;
      if (SKIP_PREFIXES.some((p) => u.pathname.startsWith(p))) continue;
      if (!patterns.has(pathPattern(u.pathname))) {
        queue.push({ path: u.pathname, depth: depth + 1, from: path });
      }
    }
  }
  return visited;
}
