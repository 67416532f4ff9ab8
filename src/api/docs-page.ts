import { OPERATIONS } from './openapi.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A readable, dependency-free reference of the API, generated from the same operation list. */
export function renderDocsPage(openApi: {
  paths: Record<string, Record<string, unknown>>;
}): string {
  const rows = OPERATIONS.map((op) => {
    const spec = openApi.paths[op.path]?.[op.method] as { requestBody?: unknown } | undefined;
    const body = spec?.requestBody
      ? `<details><summary>Request body schema</summary><pre>${escapeHtml(JSON.stringify((spec.requestBody as { content: { 'application/json': { schema: unknown } } }).content['application/json'].schema, null, 2))}</pre></details>`
      : '';
    return `<section><h2><code>${op.method.toUpperCase()} ${escapeHtml(op.path)}</code></h2>
<p>${escapeHtml(op.summary)}. Scope: <strong>${op.scope ?? 'none'}</strong>${op.idempotent ? '; accepts <code>Idempotency-Key</code>' : ''}${op.ifMatch ? '; accepts <code>If-Match</code>' : ''}.</p>${body}</section>`;
  }).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald API reference</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}
code,pre{font-family:ui-monospace,monospace}pre{background:#f4f4f5;padding:1rem;overflow:auto;font-size:13px}
section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.1rem}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}pre{background:#222}}</style></head>
<body><h1>Herald API reference</h1>
<p>Base path <code>/v1</code>, JSON, <code>Authorization: Bearer &lt;key&gt;</code>. Errors are <code>{"error":{"code","message","details":[{"field","message"}]}}</code>.
The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
${rows}</body></html>`;
}
