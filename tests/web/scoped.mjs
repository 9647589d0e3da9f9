// tests/web/scoped.mjs -- a scoped viewer's dashboard in a real browser (Debian's chromium
// driven by playwright-core), run by tests/integration/serve_roles.sh (issue 22).
//
// Signs in as a viewer whose scope is one tenant, opens the overview, the findings (and a
// search for another tenant's address), the clusters and the shared cluster, and its own
// account page; checks each shows only the tenant's findings (the addresses in the page's
// rendered text, and the counts), that the Users link is absent and /users refused, and
// that nothing was asked of any host but 127.0.0.1. Screenshots go to $AJAR_OUT.
// Environment: AJAR_BASE, AJAR_USER, AJAR_PASSWORD, AJAR_OUT, CHROMIUM, AJAR_OWN (a regular
// expression of the tenant's addresses), AJAR_OTHERS (of everyone else's), AJAR_NOWN (how
// many findings the tenant has in the newest scan), AJAR_CLUSTER (the shared cluster's id).
// The last line is "N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const base = process.env.AJAR_BASE;
const out = process.env.AJAR_OUT || 'test-output/serve-scoped';
const own = new RegExp(process.env.AJAR_OWN);
const others = new RegExp(process.env.AJAR_OTHERS, 'g');
const nown = process.env.AJAR_NOWN;
fs.mkdirSync(out, { recursive: true });

let passed = 0, failed = 0;
function check(what, ok, extra) {
    if (ok) passed++;
    else {
        failed++;
        console.log(`FAIL ${what}${extra !== undefined ? ': ' + extra : ''}`);
    }
}

const foreign = [];
const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-default-apps'],
});
try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await context.route('**/*', (route) => {
        const u = new URL(route.request().url());
        if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:') {
            foreign.push(route.request().url());
            return route.abort();
        }
        return route.continue();
    });
    const visit = async (p, name) => {
        const r = await page.goto(base + p, { waitUntil: 'load' });
        await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
        return r;
    };
    // what a person sees: the rendered text, and every link's target
    const seen = async () => (await page.innerText('body')) + '\n' +
        (await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')).join('\n')));

    let r = await visit('/login', 'login');
    await page.fill('input[name=user]', process.env.AJAR_USER);
    await page.fill('input[name=password]', process.env.AJAR_PASSWORD);
    await Promise.all([page.waitForURL(base + '/'), page.click('button[type=submit]')]);
    check('the viewer is signed in, on the overview', page.url() === base + '/', page.url());

    const pages = [
        ['/', 'overview'], ['/?scan=1', 'overview-first'], ['/findings', 'findings'],
        ['/findings?q=127.0.17', 'search'],
        ['/clusters', 'clusters'], [`/cluster?id=${process.env.AJAR_CLUSTER}`, 'cluster'],
        ['/scans', 'scans'], ['/diff', 'diff'],
    ];
    for (const [p, name] of pages) {
        r = await visit(p, `viewer-${name}`);
        check(`${name}: 200`, r && r.status() === 200, r && r.status());
        const text = await seen();
        const bad = text.match(others) || [];
        check(`${name}: no other tenant's address`, bad.length === 0, bad.slice(0, 3).join(' '));
        // the newest scan's overview lists addresses only for personal data or what is new
        // (none: scan 2 starts a second after scan 1); the first scan's lists all as new
        if (!['overview', 'scans', 'diff', 'clusters'].includes(name))
            check(`${name}: its own findings are there`, own.test(text));
        check(`${name}: no Users link`, (await page.locator('nav a[href="/users"]').count()) === 0);
    }
    await visit('/', 'viewer-overview');
    const card = await page.locator('.cards .card', { hasText: 'findings' }).first().locator('b').innerText();
    check(`the overview counts its own ${nown} findings`, card.trim() === nown, card);
    await visit('/findings', 'viewer-findings');
    const rows = await page.locator('table.findings tbody tr').count();
    check(`the findings table has its ${nown} rows`, String(rows) === nown, rows);
    const line = await page.locator('.resultline').first().innerText();
    check('the result line counts only its own', line.includes(`of ${nown} findings`), line);
    // a finding of its own opens; the tag says the role
    const first = page.locator('table.findings tbody tr a[href^="/finding?id="]').first();
    await Promise.all([page.waitForLoadState('load'), first.click()]);
    check('its own finding opens', /\/finding\?id=\d+/.test(page.url()), page.url());
    const text = await seen();
    check('... showing no other tenant', (text.match(others) || []).length === 0);
    check('the header says it is a viewer', (await page.locator('header .who .tag').innerText()).includes('viewer'));
    r = await page.goto(base + '/users');
    check('/users is refused to a viewer', r && r.status() === 403, r && r.status());
    r = await visit('/account', 'viewer-account');
    check('its account page shows its scope', (await page.innerText('main')).includes('sees only: owner'));
    check('... and a password form', (await page.locator('form[action="/account/password"]').count()) === 1);
    check('nothing was asked of any other host', foreign.length === 0, foreign.join(' '));
} catch (e) {
    check('the browser session ran to its end', false, e.message);
} finally {
    await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
