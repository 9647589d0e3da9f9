// tests/web/browser.mjs -- the dashboard in a real browser (Debian's
// chromium driven by playwright-core), run by tests/integration/serve_browser.sh.
//
// Signs in, visits every page, applies a filter, opens a detail page, a
// cluster and a diff, signs out; checks the content, that the style sheet
// and the SVG colours apply under the Content-Security-Policy, that nothing
// was asked of any host but 127.0.0.1, and that the console stayed free of
// errors (a CSP violation is one). Screenshots go to $AJAR_OUT.
// Environment: AJAR_BASE (https://127.0.0.1:PORT), AJAR_USER, AJAR_PASSWORD,
// AJAR_OUT, CHROMIUM (default /usr/bin/chromium).
// The last line is "N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const base = process.env.AJAR_BASE;
const user = process.env.AJAR_USER;
const password = process.env.AJAR_PASSWORD;
const out = process.env.AJAR_OUT || 'test-output/serve';
fs.mkdirSync(out, { recursive: true });

let passed = 0, failed = 0;
function check(what, ok, extra) {
    if (ok) {
        passed++;
        if (process.env.T_VERBOSE) console.log(`ok   ${what}`);
    } else {
        failed++;
        console.log(`FAIL ${what}${extra !== undefined ? ': ' + extra : ''}`);
    }
}

const consoleErrors = [];
const foreign = [];
const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-default-apps'],
});
try {
    const context = await browser.newContext({
        ignoreHTTPSErrors: true, // the self-signed certificate made on first start
        viewport: { width: 1440, height: 900 },
    });
    const page = await context.newPage();
    // the 404s asked for on purpose below are logged by Chromium as errors: not counted
    const expected404 = ['/no-such-page', '/finding?id=999999999'];
    page.on('console', (m) => {
        if (m.type() !== 'error' && m.type() !== 'warning') return;
        const at = m.location()?.url || '';
        if (/status of 404/.test(m.text()) && expected404.some((p) => at === base + p)) return;
        consoleErrors.push(`${m.type()}: ${m.text()} (${at})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await context.route('**/*', (route) => {
        const u = new URL(route.request().url());
        if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:') {
            foreign.push(route.request().url());
            return route.abort();
        }
        return route.continue();
    });

    const shot = async (name) => {
        await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
    };
    const visit = async (p, name) => {
        const r = await page.goto(base + p, { waitUntil: 'load' });
        if (name) await shot(name);
        return r;
    };

    // ---- sign in
    let r = await visit('/login', 'login');
    check('login page answers', r && r.status() === 200, r && r.status());
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(base + '/'), page.click('button[type=submit]')]);
    check('signed in, on the overview', page.url() === base + '/', page.url());

    // ---- overview
    await shot('overview');
    check('overview heading', (await page.textContent('h1'))?.includes('Overview'));
    check('overview has charts', (await page.locator('svg.chart').count()) >= 3);
    check('overview has cards', (await page.locator('.card').count()) >= 6);
    const topBg = await page.$eval('header.top', (e) => getComputedStyle(e).backgroundColor);
    check('style sheet applies (CSP allows it)', topBg === 'rgb(20, 26, 38)', topBg);
    const fills = await page.$$eval('svg.chart rect', (rs) => rs.map((x) => getComputedStyle(x).fill));
    check('SVG bars are coloured by class', fills.some((f) => f.startsWith('rgb(') && f !== 'rgb(0, 0, 0)'),
          fills.slice(0, 5).join(' '));
    check('the signed-in user is shown', (await page.textContent('.who .user')) === user);

    // ---- findings, then a filter
    r = await visit('/findings', 'findings');
    check('findings answers', r.status() === 200, r.status());
    const rows = await page.locator('table.findings tbody tr').count();
    check('findings lists rows', rows > 0, rows);
    const total = Number((await page.textContent('b.count')).replace(/,/g, ''));
    check('findings counts', total > 0, total);
    // the most frequent severity that is not everything: pick "high" if present, else the first
    const sevs = await page.$$eval('table.findings tbody .sev', (xs) => xs.map((x) => x.textContent));
    const want = sevs.includes('high') ? 'high' : sevs[0];
    await page.selectOption('select#severity', want);
    await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
    await shot('findings-filtered');
    check('the filter is in the URL', page.url().includes(`severity=${want}`), page.url());
    const after = await page.$$eval('table.findings tbody .sev', (xs) => xs.map((x) => x.textContent));
    check('every row has the filtered severity', after.length > 0 && after.every((s) => s === want),
          after.slice(0, 5).join(','));
    const filtered = Number((await page.textContent('b.count')).replace(/,/g, ''));
    check('the filter narrows the count', filtered <= total && filtered > 0, `${filtered} of ${total}`);
    // a search
    await page.fill('input#q', '');
    await page.selectOption('select#severity', '');
    const firstAddr = (await page.textContent('table.findings tbody tr td.mono a')).split(':')[0];
    await page.fill('input#q', firstAddr);
    await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
    const hits = await page.$$eval('table.findings tbody td.mono a', (xs) => xs.map((x) => x.textContent));
    check('search by address finds it', hits.length > 0 && hits.every((h) => h.includes(firstAddr)),
          hits.slice(0, 3).join(','));
    // sorting by a column heading
    await visit('/findings');
    await Promise.all([page.waitForNavigation(), page.click('table.findings thead a:has-text("Records")')]);
    check('sorting by a heading', page.url().includes('sort='), page.url());
    // next page when there is one
    const next = page.locator('nav.pager a:has-text("next")');
    if (await next.count()) {
        await Promise.all([page.waitForNavigation(), next.first().click()]);
        check('next page', page.url().includes('page=2'), page.url());
    }

    // ---- a detail page
    await visit('/findings');
    await Promise.all([page.waitForNavigation(), page.click('table.findings tbody tr td.mono a')]);
    await shot('finding');
    check('detail page URL', /\/finding\?id=\d+/.test(page.url()), page.url());
    for (const h of ['Signals', 'Service', 'History']) {
        check(`detail shows ${h}`, (await page.locator(`h2:text-is("${h}")`).count()) === 1);
    }
    check('detail has a timeline', (await page.locator('ol.timeline li').count()) >= 1);
    // a detail with a certificate, when there is one
    await visit('/findings?q=');
    const certRow = await page.$$eval('table.findings tbody td.mono a', (xs) => xs.map((x) => x.getAttribute('href')));
    let sawCert = false;
    for (const href of certRow.slice(0, 50)) {
        await visit(href);
        if (await page.locator('#certificate').count()) {
            await shot('finding-cert');
            sawCert = true;
            break;
        }
    }
    if (!sawCert) console.log('note: no finding with a certificate among the first 50');

    // ---- clusters and one cluster
    r = await visit('/clusters', 'clusters');
    check('clusters answers', r.status() === 200, r.status());
    const cl = page.locator('table.grid tbody a[href^="/cluster?id="]');
    if (await cl.count()) {
        await Promise.all([page.waitForNavigation(), cl.first().click()]);
        await shot('cluster');
        check('a cluster lists its members', (await page.locator('table.findings tbody tr').count()) >= 2);
    } else {
        console.log('note: no cluster in this store');
    }

    // ---- scans and a diff
    r = await visit('/scans', 'scans');
    check('scans answers', r.status() === 200, r.status());
    const nscans = await page.locator('table.grid tbody tr').count();
    check('scans are listed', nscans >= 1, nscans);
    if (nscans >= 2) {
        await Promise.all([page.waitForNavigation(), page.locator('a:has-text("diff with previous")').first().click()]);
        await shot('diff');
        check('the diff shows its sections', (await page.locator('h2:has-text("New exposures")').count()) === 1 &&
              (await page.locator('h2:has-text("Closed")').count()) === 1, page.url());
    }

    // ---- not found, assets
    r = await visit('/no-such-page', 'not-found');
    check('an unknown page is 404', r.status() === 404, r.status());
    r = await visit('/finding?id=999999999');
    check('an unknown finding is 404', r.status() === 404, r.status());
    r = await page.goto(base + '/static/ajar.css');
    check('the style sheet is served', r.status() === 200 && (r.headers()['content-type'] || '').startsWith('text/css'));

    // ---- sign out
    await visit('/');
    await Promise.all([page.waitForNavigation(), page.click('form.logout button')]);
    check('signed out, back at the login', page.url().includes('/login'), page.url());
    r = await visit('/findings');
    check('pages need a session again', page.url().includes('/login'), page.url());
} catch (e) {
    check('browser run', false, e.stack || String(e));
} finally {
    await browser.close();
}
check('no console errors (CSP violations included)', consoleErrors.length === 0, consoleErrors.join(' | '));
check('no request to any host but 127.0.0.1', foreign.length === 0, foreign.join(' '));
console.log(`screenshots: ${out}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
