// jira.mjs — a fake Jira Cloud for tests, speaking the REST API v3 shapes the connector reads:
//   GET /rest/api/3/issue/{key}?expand=changelog,renderedFields   an issue with its fields
//       (ADF description, comments, worklogs, links, attachments, custom fields), its
//       renderedFields and its changelog histories; 404 with Jira's errorMessages when absent
//   GET /rest/api/3/search/jql?jql=...&maxResults=N&nextPageToken=T   pages of issues,
//       {issues, nextPageToken?, isLast}; the JQL understood is `updated >= "YYYY-MM-DD"`
// Every request needs HTTP basic auth with the configured email and API token (401 otherwise,
// as Jira answers). Control API for tests, in process:
//   const jira = await startFakeJira({ email: 'bot@example.com', token: 't0k3n' });
//   jira.setIssue(makeIssue('PROJ-1', { created: '2024-01-10T09:00:00.000+0100' }));
//   jira.deleteIssue('PROJ-1');  jira.count('/rest/api/3/issue/PROJ-1');  jira.requests
//   jira.holdSearchAfter(2)   // the 3rd search request is never answered; jira.held resolves
//   jira.failIssue('PROJ-2', 500)  // that issue answers 500 until failIssue('PROJ-2', null)
//   jira.holdIssue('PROJ-3')  // its fetch is never answered; jira.held resolves when asked
//   jira.releaseHolds()       // drops the held requests and holds no more
//   await jira.stop();
import http from 'node:http';

const user = (name) => ({
  self: `https://example.atlassian.net/rest/api/3/user?accountId=acc-${name}`,
  accountId: `acc-${name}`,
  emailAddress: `${name}@example.com`,
  displayName: name[0].toUpperCase() + name.slice(1),
  active: true,
  timeZone: 'Europe/Prague',
  accountType: 'atlassian',
});

export const adf = (...paragraphs) => ({
  type: 'doc',
  version: 1,
  content: paragraphs.map((p) => (typeof p === 'string'
    ? { type: 'paragraph', content: [{ type: 'text', text: p }] }
    : p)),
});

// A real-shaped issue. opts: created, updated (Jira's "2024-01-10T09:00:00.000+0100"),
// summary, status, description (a string becomes one ADF paragraph), comments (strings),
// worklogs (seconds), links (keys), attachments (file names), histories (status changes).
export function makeIssue(key, opts = {}) {
  const id = String(10000 + Number(key.split('-')[1] || 0));
  const project = key.split('-')[0];
  const created = opts.created || '2024-01-10T09:00:00.000+0100';
  const updated = opts.updated || created;
  const base = 'https://example.atlassian.net';
  const comments = (opts.comments || []).map((text, i) => ({
    self: `${base}/rest/api/3/issue/${id}/comment/${id}${i}`,
    id: `${id}${i}`,
    author: user('carol'),
    body: adf(text),
    updateAuthor: user('carol'),
    created: updated,
    updated,
    jsdPublic: true,
  }));
  const worklogs = (opts.worklogs || []).map((seconds, i) => ({
    self: `${base}/rest/api/3/issue/${id}/worklog/${id}${i}`,
    author: user('dave'),
    updateAuthor: user('dave'),
    comment: adf(`worked ${seconds}s`),
    created: updated,
    updated,
    started: created,
    timeSpent: `${Math.round(seconds / 60)}m`,
    timeSpentSeconds: seconds,
    id: `${id}${i}`,
    issueId: id,
  }));
  const issuelinks = (opts.links || []).map((other, i) => ({
    id: `${id}${i}`,
    self: `${base}/rest/api/3/issueLink/${id}${i}`,
    type: { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks', self: `${base}/rest/api/3/issueLinkType/10000` },
    outwardIssue: {
      id: '20000', key: other, self: `${base}/rest/api/3/issue/20000`,
      fields: {
        summary: `linked ${other}`,
        status: { self: `${base}/rest/api/3/status/3`, name: 'In Progress', id: '3', statusCategory: { id: 4, key: 'indeterminate', name: 'In Progress', colorName: 'yellow' } },
        priority: { self: `${base}/rest/api/3/priority/2`, name: 'High', id: '2' },
        issuetype: { id: '10001', name: 'Task', subtask: false },
      },
    },
  }));
  const attachment = (opts.attachments || []).map((filename, i) => ({
    self: `${base}/rest/api/3/attachment/${id}${i}`,
    id: `${id}${i}`,
    filename,
    author: user('erin'),
    created,
    size: 1234 + i,
    mimeType: 'text/plain',
    content: `${base}/rest/api/3/attachment/content/${id}${i}`,
    thumbnail: `${base}/rest/api/3/attachment/thumbnail/${id}${i}`,
  }));
  const histories = (opts.histories || []).map((to, i) => ({
    id: `${id}${i}`,
    author: user('frank'),
    created: updated,
    items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: '1', fromString: 'To Do', to: '3', toString: to }],
  }));
  const status = opts.status || 'To Do';
  const description = typeof opts.description === 'object' ? opts.description
    : adf(opts.description ?? `Description of ${key}`);
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id,
    self: `${base}/rest/api/3/issue/${id}`,
    key,
    fields: {
      statuscategorychangedate: created,
      issuetype: { self: `${base}/rest/api/3/issuetype/10001`, id: '10001', description: '', iconUrl: '', name: 'Task', subtask: false, avatarId: 10318, hierarchyLevel: 0 },
      timespent: worklogs.reduce((a, w) => a + w.timeSpentSeconds, 0) || null,
      project: { self: `${base}/rest/api/3/project/10000`, id: '10000', key: project, name: `Project ${project}`, projectTypeKey: 'software', simplified: false },
      fixVersions: [],
      aggregatetimespent: null,
      resolution: status === 'Done' ? { self: `${base}/rest/api/3/resolution/10000`, id: '10000', description: '', name: 'Done' } : null,
      resolutiondate: status === 'Done' ? updated : null,
      workratio: -1,
      lastViewed: null,
      watches: { self: '', watchCount: 1, isWatching: false },
      created,
      priority: { self: `${base}/rest/api/3/priority/3`, iconUrl: '', name: 'Medium', id: '3' },
      labels: opts.labels || ['backend'],
      components: [{ self: `${base}/rest/api/3/component/10000`, id: '10000', name: 'API' }],
      issuelinks,
      assignee: user('bob'),
      updated,
      status: { self: `${base}/rest/api/3/status/1`, description: '', iconUrl: '', name: status, id: '1', statusCategory: { self: '', id: 2, key: 'new', colorName: 'blue-gray', name: status === 'Done' ? 'Done' : 'To Do' } },
      description,
      summary: opts.summary || `Summary of ${key}`,
      creator: user('ann'),
      reporter: user('ann'),
      duedate: opts.duedate || null,
      customfield_10004: { self: `${base}/rest/api/3/customFieldOption/10020`, value: 'Sev 2', id: '10020' },
      customfield_10330: adf('customer context'),
      customfield_10157: null,
      customfield_10511: [{ value: 'ci-1', id: '1' }, { value: 'ci-2', id: '2' }],
      attachment,
      comment: { comments, self: `${base}/rest/api/3/issue/${id}/comment`, maxResults: comments.length, total: comments.length, startAt: 0 },
      worklog: { startAt: 0, maxResults: 20, total: worklogs.length, worklogs },
    },
    renderedFields: { description: `<p>${opts.summary || key}</p>`, created: 'Today 09:00' },
    changelog: { startAt: 0, maxResults: histories.length, total: histories.length, histories },
  };
}

function sendJson(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startFakeJira({ email, token } = {}) {
  if (!email || !token) throw new Error('startFakeJira needs email and token');
  const expected = `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
  const issues = new Map();
  const failing = new Map(); // key -> status
  const holding = new Set(); // keys whose fetch is never answered
  const counts = new Map(); // path -> requests
  const fake = { requests: 0, searches: 0, held: null, issues };
  let holdAfter = Infinity;
  let releaseHeld = null;
  const heldResponses = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://fake');
    fake.requests++;
    counts.set(url.pathname, (counts.get(url.pathname) || 0) + 1);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="protected-area"', 'content-type': 'text/plain' });
      res.end('Basic authentication with passwords is deprecated.  For more information, see: https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/\n');
      return;
    }
    const m = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const key = decodeURIComponent(m[1]);
      if (holding.has(key)) { // never answered: the test kills the client meanwhile
        heldResponses.push(res);
        if (releaseHeld) releaseHeld();
        return undefined;
      }
      if (failing.has(key)) return sendJson(res, failing.get(key), { errorMessages: ['Internal server error'], errors: {} });
      const issue = issues.get(key);
      if (!issue) {
        return sendJson(res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      }
      const out = { ...issue };
      const expand = (url.searchParams.get('expand') || '').split(',');
      if (!expand.includes('changelog')) delete out.changelog;
      if (!expand.includes('renderedFields')) delete out.renderedFields;
      return sendJson(res, 200, out);
    }
    if (req.method === 'GET' && url.pathname === '/rest/api/3/search/jql') {
      fake.searches++;
      if (fake.searches > holdAfter) { // never answered: the test kills the client meanwhile
        heldResponses.push(res);
        if (releaseHeld) releaseHeld();
        return undefined;
      }
      const jql = url.searchParams.get('jql') || '';
      const since = /updated\s*>=\s*"(\d{4}-\d{2}-\d{2})"/.exec(jql);
      const max = Math.min(Number(url.searchParams.get('maxResults') || 50), 5000);
      const start = url.searchParams.get('nextPageToken')
        ? Number(Buffer.from(url.searchParams.get('nextPageToken'), 'base64url').toString().replace('offset:', ''))
        : 0;
      const all = [...issues.values()]
        .filter((i) => !since || i.fields.updated.slice(0, 10) >= since[1])
        .sort((a, b) => (a.fields.created < b.fields.created ? -1 : a.fields.created > b.fields.created ? 1
          : Number(a.key.split('-')[1]) - Number(b.key.split('-')[1])));
      const page = all.slice(start, start + max);
      const body = { issues: page, isLast: start + max >= all.length };
      if (!body.isLast) body.nextPageToken = Buffer.from(`offset:${start + max}`).toString('base64url');
      return sendJson(res, 200, body);
    }
    return sendJson(res, 404, { errorMessages: ['not found'], errors: {} });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.setIssue = (issue) => { issues.set(issue.key, issue); };
  fake.deleteIssue = (key) => { issues.delete(key); };
  fake.failIssue = (key, status) => { if (status) failing.set(key, status); else failing.delete(key); };
  fake.count = (path) => counts.get(path) || 0;
  fake.resetCounts = () => { counts.clear(); fake.requests = 0; fake.searches = 0; };
  fake.holdSearchAfter = (n) => {
    holdAfter = n;
    fake.held = new Promise((resolve) => { releaseHeld = resolve; });
  };
  fake.holdIssue = (key) => {
    holding.add(key);
    fake.held = new Promise((resolve) => { releaseHeld = resolve; });
  };
  fake.releaseHolds = () => {
    holdAfter = Infinity;
    holding.clear();
    for (const r of heldResponses.splice(0)) r.destroy();
  };
  fake.stop = () => new Promise((resolve) => {
    for (const r of heldResponses.splice(0)) r.destroy();
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
  return fake;
}
